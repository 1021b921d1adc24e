package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// storeKind opens an empty store of one implementation.
type storeKind struct {
	name string
	open func(t *testing.T) Store
}

var storeKinds = []storeKind{
	{name: "bolt", open: func(t *testing.T) Store {
		t.Helper()
		s := mustOpenBolt(t, filepath.Join(t.TempDir(), "queue.db"))
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
	{name: "memory", open: func(t *testing.T) Store { return NewMemoryStore() }},
}

func mustOpenBolt(t *testing.T, path string) *BoltStore {
	t.Helper()
	s, err := OpenBoltStore(path)
	if err != nil {
		t.Fatalf("OpenBoltStore: %v", err)
	}
	return s
}

// storedDelivery returns a new pending delivery for webhook "search" with a
// body that names it, so that bodies of different deliveries differ.
func storedDelivery(itemID string, seq int) *Delivery {
	wh := &Webhook{Name: "search", Kind: KindEventHandler}
	body := fmt.Sprintf(`{"EventName":"item:saved","Item":%q,"Seq":%d}`, itemID, seq)
	return NewDelivery(wh, EventItemSaved, itemID, []byte(body))
}

// scanIDs returns the ids that Scan visits, in its order.
func scanIDs(t *testing.T, s Store, newestFirst bool) []string {
	t.Helper()
	var ids []string
	err := s.Scan(newestFirst, func(d *Delivery) bool {
		ids = append(ids, d.ID)
		return true
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return ids
}

func TestStorePutThenGet(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			s := kind.open(t)
			del := storedDelivery("79bf28f5-cb7b-4de4-9969-d294b7b33fcb", 1)
			wantBody := string(del.Body)

			if err := s.Put([]*Delivery{del}); err != nil {
				t.Fatalf("Put: %v", err)
			}

			got, err := s.Get(del.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if got.ID != del.ID || got.WebhookName != "search" || got.Kind != KindEventHandler ||
				got.Event != EventItemSaved || got.ItemID != "79bf28f5-cb7b-4de4-9969-d294b7b33fcb" ||
				got.ContentType != "application/json" || got.State != StatePending {
				t.Errorf("Get = %+v, want the stored record", got)
			}
			if !got.CreatedAt.Equal(del.CreatedAt) {
				t.Errorf("CreatedAt = %s, want %s", got.CreatedAt, del.CreatedAt)
			}
			if string(got.Body) != wantBody {
				t.Errorf("Get body = %s, want %s", got.Body, wantBody)
			}
			body, err := s.Body(del.ID)
			if err != nil || string(body) != wantBody {
				t.Errorf("Body = %s, %v; want %s", body, err, wantBody)
			}
			if _, err := s.Get("msg_unknown"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get of an unknown id = %v, want ErrNotFound", err)
			}
			if _, err := s.Body("msg_unknown"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Body of an unknown id = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestStoreScanCreationOrder(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			s := kind.open(t)
			var created []string
			// Put in reverse so that only the ids can give the order.
			var dels []*Delivery
			for i := range 5 {
				d := storedDelivery("item-1", i)
				created = append(created, d.ID)
				dels = append(dels, d)
			}
			for _, d := range slices.Backward(dels) {
				if err := s.Put([]*Delivery{d}); err != nil {
					t.Fatalf("Put: %v", err)
				}
			}

			if got := scanIDs(t, s, false); !slices.Equal(got, created) {
				t.Errorf("Scan oldest first = %v, want %v", got, created)
			}
			newest := slices.Clone(created)
			slices.Reverse(newest)
			if got := scanIDs(t, s, true); !slices.Equal(got, newest) {
				t.Errorf("Scan newest first = %v, want %v", got, newest)
			}

			var visited []*Delivery
			err := s.Scan(true, func(d *Delivery) bool {
				visited = append(visited, d)
				return len(visited) < 2
			})
			if err != nil || len(visited) != 2 {
				t.Errorf("Scan stopped by fn visited %d deliveries (err %v), want 2", len(visited), err)
			}
			for _, d := range visited {
				if d.Body != nil {
					t.Errorf("Scan gave delivery %s with a body, want none", d.ID)
				}
			}
		})
	}
}

func TestStoreUpdateKeepsBody(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			s := kind.open(t)
			del := storedDelivery("item-1", 1)
			wantBody := string(del.Body)
			if err := s.Put([]*Delivery{del}); err != nil {
				t.Fatalf("Put: %v", err)
			}

			rec := deliveredRecord(del)
			if err := s.Update(rec); err != nil {
				t.Fatalf("Update: %v", err)
			}

			got := waitForState(t, s, del.ID, StateDelivered)
			checkDeliveredRecord(t, got)
			if string(got.Body) != wantBody {
				t.Errorf("body after Update = %q, want %s", got.Body, wantBody)
			}
		})
	}
}

// deliveredRecord returns the record that a dispatcher stores after one
// successful attempt of del: without body, as the dispatcher sends it.
func deliveredRecord(del *Delivery) *Delivery {
	rec := *del
	rec.Body = nil
	rec.State = StateDelivered
	rec.NextAttemptAt = time.Time{}
	rec.Attempts = []Attempt{{
		Number:         1,
		At:             del.CreatedAt.Add(time.Millisecond),
		Status:         http.StatusNoContent,
		Duration:       Duration(15 * time.Millisecond),
		RequestHeaders: map[string]string{"Webhook-Id": del.ID},
	}}
	return &rec
}

func checkDeliveredRecord(t *testing.T, got *Delivery) {
	t.Helper()
	if got.State != StateDelivered {
		t.Errorf("State = %s, want delivered", got.State)
	}
	if len(got.Attempts) != 1 {
		t.Fatalf("%d attempts, want 1", len(got.Attempts))
	}
	a := got.Attempts[0]
	if a.Number != 1 || a.Status != http.StatusNoContent || time.Duration(a.Duration) != 15*time.Millisecond ||
		a.RequestHeaders["Webhook-Id"] != got.ID {
		t.Errorf("attempt = %+v, want number 1, status 204, duration 15ms, Webhook-Id %s", a, got.ID)
	}
}

// waitForState polls Get until the delivery is in state, because a store's
// Update may apply its change after it returns.
func waitForState(t *testing.T, s Store, id string, state DeliveryState) *Delivery {
	t.Helper()
	var got *Delivery
	waitUntil(t, fmt.Sprintf("delivery %s %s", id, state), func() bool {
		d, err := s.Get(id)
		if err != nil {
			return false
		}
		got = d
		return d.State == state
	})
	return got
}

// waitUntil polls cond every 5ms and fails the test when it is still false
// after 10s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after 10s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStoreDeleteRemovesRecordBody(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			s := kind.open(t)
			deleted, remaining := storedDelivery("item-1", 1), storedDelivery("item-1", 2)
			if err := s.Put([]*Delivery{deleted, remaining}); err != nil {
				t.Fatalf("Put: %v", err)
			}

			if err := s.Delete([]string{deleted.ID}); err != nil {
				t.Fatalf("Delete: %v", err)
			}

			if _, err := s.Get(deleted.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get after Delete = %v, want ErrNotFound", err)
			}
			if _, err := s.Body(deleted.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("Body after Delete = %v, want ErrNotFound", err)
			}
			if got := scanIDs(t, s, false); !slices.Equal(got, []string{remaining.ID}) {
				t.Errorf("Scan after Delete = %v, want only %s", got, remaining.ID)
			}

			// An update racing with a purge must not bring the record back.
			// Delete returns after its commit, which writes the update
			// queued before it.
			_ = s.Update(deliveredRecord(deleted))
			if err := s.Delete([]string{"msg_unknown"}); err != nil {
				t.Fatalf("Delete of an unknown id: %v", err)
			}
			if _, err := s.Get(deleted.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get after Update of a deleted delivery = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestStoreConcurrentPutsAllLand(t *testing.T) {
	const goroutines, perGoroutine = 50, 20
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			s := kind.open(t)
			var (
				wg   sync.WaitGroup
				mu   sync.Mutex
				want = map[string]string{}
			)
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range perGoroutine {
						d := storedDelivery(fmt.Sprintf("item-%d", g), i)
						mu.Lock()
						want[d.ID] = string(d.Body)
						mu.Unlock()
						if err := s.Put([]*Delivery{d}); err != nil {
							t.Errorf("Put %d/%d: %v", g, i, err)
							return
						}
					}
				}()
			}
			wg.Wait()

			ids := scanIDs(t, s, false)
			if len(ids) != goroutines*perGoroutine {
				t.Fatalf("Scan found %d deliveries, want %d", len(ids), goroutines*perGoroutine)
			}
			for _, id := range ids {
				body, err := s.Body(id)
				if err != nil || string(body) != want[id] {
					t.Errorf("Body(%s) = %s, %v; want %s", id, body, err, want[id])
				}
			}
		})
	}
}

func TestBoltStoreSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	s := mustOpenBolt(t, path)
	updated, pending, deleted := storedDelivery("item-1", 1), storedDelivery("item-1", 2), storedDelivery("item-2", 1)
	wantBodies := map[string]string{updated.ID: string(updated.Body), pending.ID: string(pending.Body)}
	if err := s.Put([]*Delivery{updated, pending, deleted}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := s.Update(deliveredRecord(updated)); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := s.Delete([]string{deleted.ID}); err != nil {
		t.Fatalf("Delete: %v", err)
	}

	// Close must write the update, which Update does not wait for.
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = mustOpenBolt(t, path)
	defer s.Close()

	if got := scanIDs(t, s, false); !slices.Equal(got, []string{updated.ID, pending.ID}) {
		t.Errorf("Scan after reopen = %v, want %v", got, []string{updated.ID, pending.ID})
	}
	got, err := s.Get(updated.ID)
	if err != nil {
		t.Fatalf("Get updated: %v", err)
	}
	checkDeliveredRecord(t, got)
	if got, err := s.Get(pending.ID); err != nil || got.State != StatePending {
		t.Errorf("Get pending = %+v, %v; want state pending", got, err)
	}
	for id, want := range wantBodies {
		if body, err := s.Body(id); err != nil || string(body) != want {
			t.Errorf("Body(%s) after reopen = %s, %v; want %s", id, body, err, want)
		}
	}
	if _, err := s.Get(deleted.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get deleted after reopen = %v, want ErrNotFound", err)
	}
}

// TestBoltStoreSecondOpenLocked pins that a second process on the same data
// directory fails with a clear message instead of hanging or corrupting the
// file.
func TestBoltStoreSecondOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	first := mustOpenBolt(t, path)
	defer first.Close()

	start := time.Now()
	second, err := OpenBoltStore(path)
	took := time.Since(start)

	if err == nil {
		second.Close()
		t.Fatal("second OpenBoltStore on an open file succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "locked") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not say that %s is locked", err, path)
	}
	if took > 15*time.Second {
		t.Errorf("second OpenBoltStore failed after %s, want a bounded wait of about 5s", took)
	}
}

func TestBoltStoreClosedRejectsChanges(t *testing.T) {
	s := mustOpenBolt(t, filepath.Join(t.TempDir(), "queue.db"))
	del := storedDelivery("item-1", 1)
	if err := s.Put([]*Delivery{del}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	if err := s.Put([]*Delivery{storedDelivery("item-1", 2)}); !errors.Is(err, ErrQueueClosed) {
		t.Errorf("Put after Close = %v, want ErrQueueClosed", err)
	}
	if err := s.Update(deliveredRecord(del)); !errors.Is(err, ErrQueueClosed) {
		t.Errorf("Update after Close = %v, want ErrQueueClosed", err)
	}
	if err := s.Delete([]string{del.ID}); !errors.Is(err, ErrQueueClosed) {
		t.Errorf("Delete after Close = %v, want ErrQueueClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

// TestBoltQueueSurvivesRestart pins at-least-once delivery across a
// restart: what Stop leaves pending is sent by the next dispatcher on the
// same file, once, under the same webhook-id, and in order per item.
func TestBoltQueueSurvivesRestart(t *testing.T) {
	type sequenced struct {
		Item string `json:"item"`
		Seq  int    `json:"seq"`
	}
	path := filepath.Join(t.TempDir(), "queue.db")
	retry := RetryPolicy{MaxAttempts: 1000, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}

	// The receiver is down: its port refuses connections.
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	whDown := eventHandler(t, down.URL+"/hooks", nil, nil)

	first := mustNew(t, Config{Workers: 4, Store: mustOpenBolt(t, path), Retry: retry, Webhooks: []*Webhook{whDown}})
	items := []string{"item-a", "item-b", "item-c"}
	const perItem = 4
	ids := map[string]bool{}
	for seq := range perItem {
		for _, item := range items {
			body, _ := json.Marshal(sequenced{Item: item, Seq: seq})
			del := NewDelivery(whDown, EventItemSaved, item, body)
			ids[del.ID] = true
			if err := first.Enqueue(del); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
		}
	}
	time.Sleep(100 * time.Millisecond) // let the heads fail a few times
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := first.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop with the receiver down = %v, want the deadline error", err)
	}

	// The file holds every delivery as pending.
	s := mustOpenBolt(t, path)
	pending := 0
	_ = s.Scan(false, func(d *Delivery) bool {
		if d.State == StatePending {
			pending++
		}
		return true
	})
	if pending != len(ids) {
		t.Errorf("%d pending deliveries in the file after Stop, want %d", pending, len(ids))
	}

	// The receiver is back, under a new address: the running configuration
	// names the same webhook, and deliveries follow the newest definition.
	rc := newReceiver(t, nil)
	whUp := eventHandler(t, rc.server.URL+"/hooks", nil, nil)
	second := mustNew(t, Config{Workers: 4, Store: s, Retry: retry, Webhooks: []*Webhook{whUp}})
	drain(t, second)

	got := rc.received()
	seen := map[string]int{}
	next := map[string]int{}
	for _, req := range got {
		id := req.header.Get("webhook-id")
		seen[id]++
		if !ids[id] {
			t.Errorf("receiver got webhook-id %q that was never enqueued", id)
		}
		var sq sequenced
		if err := json.Unmarshal(req.body, &sq); err != nil {
			t.Fatalf("decoding %s: %v", req.body, err)
		}
		if sq.Seq != next[sq.Item] {
			t.Errorf("item %s: got #%d, want #%d", sq.Item, sq.Seq, next[sq.Item])
		}
		next[sq.Item] = sq.Seq + 1
	}
	for id := range ids {
		if seen[id] != 1 {
			t.Errorf("delivery %s arrived %d times, want exactly once", id, seen[id])
		}
	}

	s = mustOpenBolt(t, path)
	defer s.Close()
	_ = s.Scan(false, func(d *Delivery) bool {
		if d.State != StateDelivered {
			t.Errorf("delivery %s is %s after the restart, want delivered", d.ID, d.State)
		}
		return true
	})
}
