package dispatch

import (
	"errors"
	"time"

	"github.com/google/uuid"
)

// Delivery is one payload on its way to one webhook. Its ID stays the same
// across attempts, so receivers can use the webhook-id header to drop
// duplicates.
type Delivery struct {
	ID          string
	Webhook     *Webhook
	Event       string
	ItemID      string
	Body        []byte
	ContentType string
	CreatedAt   time.Time

	// Attempts counts the attempts made so far.
	Attempts int
}

// NewDelivery returns a delivery with a fresh id.
func NewDelivery(wh *Webhook, event, itemID string, body []byte) *Delivery {
	return &Delivery{
		ID:          "msg_" + uuid.Must(uuid.NewV7()).String(),
		Webhook:     wh,
		Event:       event,
		ItemID:      itemID,
		Body:        body,
		ContentType: ContentTypeJSON,
		CreatedAt:   time.Now(),
	}
}

// orderKey groups deliveries that must arrive in order: those for the same
// item to the same webhook.
func (d *Delivery) orderKey() string {
	return d.Webhook.Name + "\x00" + d.ItemID
}

// ErrQueueFull is returned by Enqueue when the queue is at its capacity.
var ErrQueueFull = errors.New("delivery queue is full")

// ErrQueueClosed is returned by Enqueue after the queue was closed.
var ErrQueueClosed = errors.New("delivery queue is closed")
