package dispatch

import (
	"time"
)

// Store keeps deliveries. The dispatcher holds the schedule of pending
// deliveries in memory and uses the store to survive a restart, so a
// store need not be fast to query, only durable for Put.
type Store interface {
	// Put stores new deliveries with their bodies. It returns once they
	// are durable: after Put, a crash loses none of them.
	Put(dels []*Delivery) error

	// Update stores a delivery's new state and attempts. It may return
	// before the change is durable; a crash may then repeat an attempt,
	// which at-least-once delivery allows.
	Update(del *Delivery) error

	// Get returns a delivery with its body.
	Get(id string) (*Delivery, error)

	// Body returns the payload of a delivery.
	Body(id string) ([]byte, error)

	// Scan calls fn for each stored delivery, without bodies, newest first
	// when newestFirst is set, until fn returns false.
	Scan(newestFirst bool, fn func(*Delivery) bool) error

	// Delete removes deliveries by id.
	Delete(ids []string) error

	// Close flushes pending updates and releases the store.
	Close() error
}

// Filter selects deliveries for listing, replay and purge. Zero fields
// match everything.
type Filter struct {
	State   DeliveryState
	Webhook string
	ItemID  string

	// Since and Before bound the creation time.
	Since  time.Time
	Before time.Time
}

// Match reports whether a delivery passes the filter.
func (f Filter) Match(d *Delivery) bool {
	if f.State != "" && d.State != f.State {
		return false
	}
	if f.Webhook != "" && d.WebhookName != f.Webhook {
		return false
	}
	if f.ItemID != "" && !sameID(d.ItemID, f.ItemID) {
		return false
	}
	if !f.Since.IsZero() && d.CreatedAt.Before(f.Since) {
		return false
	}
	if !f.Before.IsZero() && !d.CreatedAt.Before(f.Before) {
		return false
	}
	return true
}

// sameID compares item ids as GUIDs when both are GUIDs, so any of
// Sitecore's spellings finds the item, and as text otherwise.
func sameID(a, b string) bool {
	if a == b {
		return true
	}
	ga, errA := ParseGUID(a)
	gb, errB := ParseGUID(b)
	return errA == nil && errB == nil && ga == gb
}
