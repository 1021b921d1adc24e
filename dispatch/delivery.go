package dispatch

import (
	"errors"
	"time"

	"github.com/google/uuid"
)

// DeliveryState is the stage of a delivery's life.
type DeliveryState string

const (
	// StatePending deliveries wait for their next attempt.
	StatePending DeliveryState = "pending"

	// StateDelivered deliveries got a 2xx response.
	StateDelivered DeliveryState = "delivered"

	// StateDead deliveries failed for good: the receiver responded 410
	// Gone, the retry policy gave up, or the queue was full. They stay
	// until an operator replays or purges them.
	StateDead DeliveryState = "dead"
)

// Delivery is one payload on its way to one webhook, as the queue stores
// it. Its ID stays the same across attempts and replays, so receivers can
// use the webhook-id header to drop duplicates.
type Delivery struct {
	ID          string        `json:"id"`
	WebhookName string        `json:"webhook"`
	Kind        Kind          `json:"kind"`
	Event       string        `json:"event"`
	ItemID      string        `json:"item_id"`
	ContentType string        `json:"content_type"`
	CreatedAt   time.Time     `json:"created_at"`
	State       DeliveryState `json:"state"`

	// NextAttemptAt is when a pending delivery is tried next.
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`

	// Reason is why a dead delivery died.
	Reason string `json:"reason,omitempty"`

	// Attempts lists every attempt, replays included.
	Attempts []Attempt `json:"attempts,omitempty"`

	// Replays counts how often an operator replayed the delivery.
	Replays int `json:"replays,omitempty"`

	// Body is the payload. Stores keep it apart from the record, so that
	// listing deliveries does not load every body.
	Body []byte `json:"-"`

	// DeadAt is when the delivery died.
	DeadAt time.Time `json:"dead_at,omitzero"`

	// replayPending marks the next attempt as the first after a replay.
	replayPending bool

	// Webhook is the webhook definition at enqueue time. A stored delivery
	// loaded after a restart has none, and the dispatcher looks the name up
	// among the webhooks of the running configuration.
	Webhook *Webhook `json:"-"`
}

// Attempt is the record of one attempt of a delivery.
type Attempt struct {
	// Number counts the attempts of a delivery from 1, replays included.
	Number int `json:"number"`

	// Replay is set on the first attempt after an operator's replay.
	Replay bool `json:"replay,omitempty"`

	At       time.Time `json:"at"`
	Status   int       `json:"status,omitempty"`
	Duration Duration  `json:"duration"`
	Error    string    `json:"error,omitempty"`

	// RequestHeaders are the headers sent, except those that carry a
	// secret.
	RequestHeaders map[string]string `json:"request_headers,omitempty"`

	// ResponseExcerpt is the start of the receiver's response.
	ResponseExcerpt string `json:"response_excerpt,omitempty"`
}

// NewDelivery returns a pending delivery with a fresh id. Ids are UUIDv7,
// so their text sorts in the order of creation.
func NewDelivery(wh *Webhook, event, itemID string, body []byte) *Delivery {
	now := time.Now()
	return &Delivery{
		ID:            "msg_" + uuid.Must(uuid.NewV7()).String(),
		WebhookName:   wh.Name,
		Kind:          wh.Kind,
		Event:         event,
		ItemID:        itemID,
		ContentType:   wh.ContentType(),
		CreatedAt:     now,
		State:         StatePending,
		NextAttemptAt: now,
		Body:          body,
		Webhook:       wh,
	}
}

// orderKey groups deliveries that must arrive in order: those for the same
// item to the same webhook.
func (d *Delivery) orderKey() string {
	return d.WebhookName + "\x00" + d.ItemID
}

// attemptsSinceReplay counts the attempts since the last replay, which the
// retry policy limits.
func (d *Delivery) attemptsSinceReplay() int {
	n := 0
	for i := len(d.Attempts) - 1; i >= 0; i-- {
		n++
		if d.Attempts[i].Replay {
			break
		}
	}
	return n
}

// ErrQueueClosed is returned by Enqueue after the dispatcher was stopped.
var ErrQueueClosed = errors.New("delivery queue is closed")

// ErrNotFound is returned for a delivery id that the store does not have.
var ErrNotFound = errors.New("delivery not found")
