package dispatch

import (
	"errors"
	"fmt"
	"time"
)

// List returns up to limit deliveries that pass the filter, newest first.
// Pending deliveries show their state as of their last stored change.
func (d *Dispatcher) List(f Filter, limit int) ([]*Delivery, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []*Delivery
	err := d.store.Scan(true, func(del *Delivery) bool {
		if f.Match(del) {
			out = append(out, del)
		}
		return len(out) < limit
	})
	return out, err
}

// Get returns one delivery with its attempts and body.
func (d *Dispatcher) Get(id string) (*Delivery, error) {
	return d.store.Get(id)
}

// ErrPending is returned when a pending delivery is replayed or purged.
var ErrPending = errors.New("delivery is still pending")

// Replay schedules a dead or delivered delivery again, under the same id,
// so receivers that deduplicate on webhook-id can tell it is the same
// message. The retry policy counts attempts afresh from the replay.
func (d *Dispatcher) Replay(id string) error {
	if d.closed.Load() {
		return ErrQueueClosed
	}
	d.mu.RLock()
	_, pending := d.pending[id]
	d.mu.RUnlock()
	if pending {
		return ErrPending
	}
	del, err := d.store.Get(id)
	if err != nil {
		return err
	}
	if del.State == StatePending {
		return ErrPending
	}
	del.State = StatePending
	del.Reason = ""
	del.DeadAt = time.Time{}
	del.NextAttemptAt = time.Now()
	del.Replays++
	del.replayPending = true
	del.Body = nil
	if err := d.store.Update(snapshot(del)); err != nil {
		return fmt.Errorf("storing replay of %s: %v", id, err)
	}
	d.schedule(del)
	return nil
}

// ReplayDead replays every dead delivery that died at or after since, and
// that passes the filter. It returns the number replayed.
func (d *Dispatcher) ReplayDead(since time.Time, f Filter) (int, error) {
	f.State = StateDead
	var ids []string
	err := d.store.Scan(false, func(del *Delivery) bool {
		if f.Match(del) && !del.DeadAt.Before(since) {
			ids = append(ids, del.ID)
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		err := d.Replay(id)
		if errors.Is(err, ErrPending) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Purge removes dead and delivered deliveries that pass the filter. It
// never removes a pending one: a filter for the pending state is an error.
func (d *Dispatcher) Purge(f Filter) (int, error) {
	if f.State == StatePending {
		return 0, fmt.Errorf("%w: pending deliveries cannot be purged", ErrPending)
	}
	var ids []string
	err := d.store.Scan(false, func(del *Delivery) bool {
		if del.State != StatePending && f.Match(del) {
			ids = append(ids, del.ID)
		}
		return true
	})
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	d.mu.RLock()
	kept := ids[:0]
	for _, id := range ids {
		// A replay may have made it pending since the scan.
		if _, pending := d.pending[id]; !pending {
			kept = append(kept, id)
		}
	}
	d.mu.RUnlock()
	if err := d.store.Delete(kept); err != nil {
		return 0, err
	}
	return len(kept), nil
}
