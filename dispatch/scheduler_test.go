package dispatch

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// takeWithin returns the next entry the scheduler hands out, or nil when
// none is handed out within wait.
func takeWithin(s *scheduler, wait time.Duration) *entry {
	stop := make(chan struct{})
	timer := time.AfterFunc(wait, func() { close(stop) })
	defer timer.Stop()
	return s.next(stop)
}

func scheduledEntry(id, key string, due time.Time) *entry {
	return &entry{id: id, key: key, host: "search", due: due, created: due}
}

// TestSchedulerOneInFlightPerKey pins that a key's second delivery waits
// until its first is done, while another key's delivery goes ahead.
func TestSchedulerOneInFlightPerKey(t *testing.T) {
	s := newScheduler(8)
	now := time.Now()
	s.add(scheduledEntry("a1", "a", now))
	s.add(scheduledEntry("a2", "a", now.Add(time.Millisecond)))
	s.add(scheduledEntry("b1", "b", now.Add(2*time.Millisecond)))

	var got []*entry
	var ids []string
	for range 2 {
		e := takeWithin(s, time.Second)
		if e == nil {
			t.Fatalf("next returned nothing after %v, want a1 and b1", ids)
		}
		got = append(got, e)
		ids = append(ids, e.id)
	}
	if strings.Join(ids, ",") != "a1,b1" {
		t.Fatalf("first entries handed out = %v, want [a1 b1]", ids)
	}
	if e := takeWithin(s, 50*time.Millisecond); e != nil {
		t.Fatalf("next handed out %s while a1 is in flight, want nothing", e.id)
	}

	s.finish(got[0], true, time.Time{})
	if e := takeWithin(s, time.Second); e == nil || e.id != "a2" {
		t.Errorf("next after a1 was done = %v, want a2", e)
	}
	if n := s.len(); n != 2 {
		t.Errorf("len = %d, want 2 (a2 and b1 in flight)", n)
	}
}

// TestSchedulerRetryKeepsKeyOrder pins that a failed head is tried again
// before the deliveries behind it, even when they are due earlier.
func TestSchedulerRetryKeepsKeyOrder(t *testing.T) {
	s := newScheduler(8)
	now := time.Now()
	s.add(scheduledEntry("a1", "a", now))
	s.add(scheduledEntry("a2", "a", now))

	head := takeWithin(s, time.Second)
	s.finish(head, false, time.Now().Add(30*time.Millisecond))

	if e := takeWithin(s, time.Second); e == nil || e.id != "a1" {
		t.Fatalf("next after a1 failed = %v, want a1 again", e)
	}
	if e := takeWithin(s, 50*time.Millisecond); e != nil {
		t.Errorf("next handed out %s behind the retried head, want nothing", e.id)
	}
}

// TestFailingHeadBlocksOnlyItsItem pins that a receiver failing deliveries
// for one item holds up that item only: the other items' deliveries arrive
// meanwhile, and the stuck item's second delivery waits for its first.
func TestFailingHeadBlocksOnlyItsItem(t *testing.T) {
	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()
	var (
		mu      sync.Mutex
		stuckID string
	)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		stuck := r.Header.Get("webhook-id") == stuckID
		mu.Unlock()
		select {
		case <-release:
		default:
			if stuck {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
	wh := eventHandler(t, rc.server.URL, nil, nil)
	d := mustNew(t, Config{Workers: 4, Retry: RetryPolicy{MaxAttempts: 1000, InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}})

	stuck := []*Delivery{
		NewDelivery(wh, EventItemSaved, "stuck", []byte(`{"Seq":1,"Stuck":true}`)),
		NewDelivery(wh, EventItemSaved, "stuck", []byte(`{"Seq":2,"Stuck":true}`)),
	}
	mu.Lock()
	stuckID = stuck[0].ID
	mu.Unlock()
	if err := d.Enqueue(stuck...); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	const others = 10
	for i := range others {
		if err := d.Enqueue(NewDelivery(wh, EventItemSaved, fmt.Sprintf("item-%d", i), []byte(`{"Seq":1}`))); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}

	waitUntil(t, "the other items' deliveries and retries of the stuck head", func() bool {
		return countBodies(rc, `"Stuck":true`, false) == others &&
			countBodies(rc, `{"Seq":1,"Stuck":true}`, true) >= 3
	})
	if n := countBodies(rc, `{"Seq":2,"Stuck":true}`, true); n != 0 {
		t.Fatalf("the stuck item's second delivery was sent %d times before its first succeeded", n)
	}

	releaseOnce()
	drain(t, d)
	var order []string
	for _, req := range rc.received() {
		if strings.Contains(string(req.body), `"Stuck":true`) {
			order = append(order, string(req.body))
		}
	}
	if last := order[len(order)-1]; last != `{"Seq":2,"Stuck":true}` || countBodies(rc, last, true) != 1 {
		t.Errorf("stuck item requests = %v, want retries of the first, then the second once", order)
	}
}

// countBodies counts the received requests whose body contains marker, or
// does not contain it when contains is false.
func countBodies(rc *receiver, marker string, contains bool) int {
	n := 0
	for _, req := range rc.received() {
		if strings.Contains(string(req.body), marker) == contains {
			n++
		}
	}
	return n
}

// concurrencyReceiver holds every request until release is closed and
// records how many were open at the same time.
type concurrencyReceiver struct {
	*receiver
	release chan struct{}

	mu      sync.Mutex
	open    int
	maxOpen int
}

func newConcurrencyReceiver(t *testing.T) *concurrencyReceiver {
	cr := &concurrencyReceiver{release: make(chan struct{})}
	cr.receiver = newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		cr.mu.Lock()
		cr.open++
		cr.maxOpen = max(cr.maxOpen, cr.open)
		cr.mu.Unlock()
		<-cr.release
		cr.mu.Lock()
		cr.open--
		cr.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	t.Cleanup(cr.releaseAll)
	return cr
}

func (cr *concurrencyReceiver) releaseAll() {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	select {
	case <-cr.release:
	default:
		close(cr.release)
	}
}

func (cr *concurrencyReceiver) counts() (open, maxOpen int) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	return cr.open, cr.maxOpen
}

// waitOpen waits until want requests are open, then checks for a while
// that no more arrive.
func (cr *concurrencyReceiver) waitOpen(t *testing.T, want int) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d open requests", want), func() bool {
		open, _ := cr.counts()
		return open >= want
	})
	time.Sleep(100 * time.Millisecond)
	if _, maxOpen := cr.counts(); maxOpen != want {
		t.Errorf("receiver had %d requests open at once, want %d", maxOpen, want)
	}
}

func TestPerDestinationLimitsOpenRequests(t *testing.T) {
	cr := newConcurrencyReceiver(t)
	wh := eventHandler(t, cr.server.URL, nil, nil)
	d := mustNew(t, Config{Workers: 8, PerDestination: 2, Retry: RetryPolicy{MaxAttempts: 1}})
	const items = 10
	for i := range items {
		if err := d.Enqueue(NewDelivery(wh, EventItemSaved, fmt.Sprintf("item-%d", i), []byte(`{}`))); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}

	cr.waitOpen(t, 2)

	cr.releaseAll()
	drain(t, d)
	if n := len(cr.received()); n != items {
		t.Errorf("receiver got %d deliveries, want %d", n, items)
	}
}

func TestReconfigureRaisesPerDestination(t *testing.T) {
	cr := newConcurrencyReceiver(t)
	wh := eventHandler(t, cr.server.URL, nil, nil)
	cfg := Config{Workers: 8, PerDestination: 2, Retry: RetryPolicy{MaxAttempts: 1}}
	d := mustNew(t, cfg)
	const items = 10
	for i := range items {
		if err := d.Enqueue(NewDelivery(wh, EventItemSaved, fmt.Sprintf("item-%d", i), []byte(`{}`))); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
	cr.waitOpen(t, 2)

	cfg.PerDestination = 5
	d.Reconfigure(cfg)

	cr.waitOpen(t, 5)
	cr.releaseAll()
	drain(t, d)
	if n := len(cr.received()); n != items {
		t.Errorf("receiver got %d deliveries, want %d", n, items)
	}
}
