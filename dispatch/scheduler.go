package dispatch

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"
)

// scheduler decides which pending delivery is attempted next. It keeps one
// first-in, first-out line per order key (webhook and item): only the head
// of a line is attempted, and the next one waits until the head is
// delivered or dead, so deliveries for one item arrive in order. Different
// lines proceed in parallel, at most perHost at a time to one destination.
//
// The scheduler holds ids and times only; bodies stay in the store.
type scheduler struct {
	mu      sync.Mutex
	lines   map[string]*line
	ready   lineHeap
	busy    map[string]int
	perHost int
	count   int
	closed  bool

	// changed is closed and replaced on every change, waking all waiting
	// workers at once.
	changed chan struct{}
}

// entry is one pending delivery in the schedule.
type entry struct {
	id      string
	key     string
	host    string
	due     time.Time
	created time.Time

	// del is the delivery's record without its body. Only the worker that
	// holds the entry changes it.
	del *Delivery

	// body is the payload until the store has it, then nil.
	body atomic.Pointer[[]byte]
}

// line is the pending deliveries of one order key, oldest first.
type line struct {
	entries []*entry
	busy    bool
	index   int // position in the ready heap, -1 when not in it
}

func newScheduler(perHost int) *scheduler {
	return &scheduler{
		lines:   map[string]*line{},
		busy:    map[string]int{},
		perHost: perHost,
		changed: make(chan struct{}),
	}
}

func (s *scheduler) broadcast() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// add puts a delivery at the end of its line.
func (s *scheduler) add(e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lines[e.key]
	if l == nil {
		l = &line{index: -1}
		s.lines[e.key] = l
	}
	l.entries = append(l.entries, e)
	if len(l.entries) == 1 && !l.busy {
		heap.Push(&s.ready, l)
	}
	s.count++
	s.broadcast()
}

// next blocks until a delivery is due and its destination has a free slot,
// and returns it. It returns nil once stop is closed or the scheduler is
// closed.
func (s *scheduler) next(stop <-chan struct{}) *entry {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil
		}
		e, wait := s.takeLocked(time.Now())
		changed := s.changed
		s.mu.Unlock()
		if e != nil {
			return e
		}

		var fire <-chan time.Time
		if wait >= 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			fire = timer.C
		}
		select {
		case <-changed:
		case <-fire:
		case <-stop:
			return nil
		}
	}
}

// takeLocked returns the first due head whose destination has room, or the
// time until the earliest head is due (-1 when there is none or only full
// destinations are due).
func (s *scheduler) takeLocked(now time.Time) (*entry, time.Duration) {
	var skipped []*line
	defer func() {
		for _, l := range skipped {
			heap.Push(&s.ready, l)
		}
	}()
	for s.ready.Len() > 0 {
		l := s.ready[0]
		head := l.entries[0]
		if head.due.After(now) {
			return nil, head.due.Sub(now)
		}
		heap.Pop(&s.ready)
		if s.perHost > 0 && s.busy[head.host] >= s.perHost {
			skipped = append(skipped, l)
			continue
		}
		l.busy = true
		s.busy[head.host]++
		return head, 0
	}
	return nil, -1
}

// finish records the end of an attempt of e. A delivery that is done
// (delivered or dead) leaves its line; otherwise it is due again at retryAt.
func (s *scheduler) finish(e *entry, done bool, retryAt time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lines[e.key]
	l.busy = false
	if s.busy[e.host]--; s.busy[e.host] <= 0 {
		delete(s.busy, e.host)
	}
	if done {
		l.entries[0] = nil
		l.entries = l.entries[1:]
		s.count--
	} else {
		e.due = retryAt
	}
	if len(l.entries) == 0 {
		delete(s.lines, e.key)
	} else {
		heap.Push(&s.ready, l)
	}
	s.broadcast()
}

// len returns the number of pending deliveries, those in flight included.
func (s *scheduler) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// oldest returns the creation time of the oldest pending delivery, or the
// zero time when none is pending.
func (s *scheduler) oldest() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t time.Time
	for _, l := range s.lines {
		if c := l.entries[0].created; t.IsZero() || c.Before(t) {
			t = c
		}
	}
	return t
}

// setPerHost changes the limit of attempts in flight per destination.
func (s *scheduler) setPerHost(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perHost = n
	s.broadcast()
}

// close wakes every waiting worker; next returns nil from then on.
func (s *scheduler) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.broadcast()
	}
}

// lineHeap orders lines by the due time of their heads.
type lineHeap []*line

func (h lineHeap) Len() int { return len(h) }
func (h lineHeap) Less(i, j int) bool {
	return h[i].entries[0].due.Before(h[j].entries[0].due)
}
func (h lineHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *lineHeap) Push(x any) {
	l := x.(*line)
	l.index = len(*h)
	*h = append(*h, l)
}
func (h *lineHeap) Pop() any {
	old := *h
	l := old[len(old)-1]
	old[len(old)-1] = nil
	l.index = -1
	*h = old[:len(old)-1]
	return l
}
