package dispatch

import (
	"slices"
	"sync"
)

// MemoryStore keeps deliveries in memory only: a restart loses them. It
// suits tests and setups that accept that loss.
type MemoryStore struct {
	mu     sync.Mutex
	byID   map[string]*Delivery
	bodies map[string][]byte
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{byID: map[string]*Delivery{}, bodies: map[string][]byte{}}
}

// Put stores copies of the deliveries.
func (s *MemoryStore) Put(dels []*Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range dels {
		s.byID[d.ID] = snapshot(d)
		s.bodies[d.ID] = d.Body
	}
	return nil
}

// Update stores a copy of the delivery's record.
func (s *MemoryStore) Update(d *Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[d.ID]; !ok {
		return ErrNotFound
	}
	s.byID[d.ID] = snapshot(d)
	return nil
}

// Get returns a copy of a delivery with its body.
func (s *MemoryStore) Get(id string) (*Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.byID[id]
	if !ok {
		return nil, ErrNotFound
	}
	c := snapshot(d)
	c.Body = s.bodies[id]
	return c, nil
}

// Body returns a delivery's payload.
func (s *MemoryStore) Body(id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bodies[id]
	if !ok {
		return nil, ErrNotFound
	}
	return b, nil
}

// Scan calls fn for copies of the deliveries in id order.
func (s *MemoryStore) Scan(newestFirst bool, fn func(*Delivery) bool) error {
	s.mu.Lock()
	ids := make([]string, 0, len(s.byID))
	for id := range s.byID {
		ids = append(ids, id)
	}
	s.mu.Unlock()

	slices.Sort(ids)
	if newestFirst {
		slices.Reverse(ids)
	}
	for _, id := range ids {
		s.mu.Lock()
		d, ok := s.byID[id]
		if ok {
			d = snapshot(d)
		}
		s.mu.Unlock()
		if ok && !fn(d) {
			return nil
		}
	}
	return nil
}

// Delete removes deliveries.
func (s *MemoryStore) Delete(ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		delete(s.byID, id)
		delete(s.bodies, id)
	}
	return nil
}

// Close does nothing.
func (s *MemoryStore) Close() error { return nil }

// snapshot copies a delivery's record without its body and webhook, so
// that later changes by the dispatcher do not reach the stored copy.
func snapshot(d *Delivery) *Delivery {
	c := *d
	c.Attempts = slices.Clone(d.Attempts)
	c.Body = nil
	c.Webhook = nil
	return &c
}
