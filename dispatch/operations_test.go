package dispatch

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest/observer"
)

// deliveryLogFixture is a store with six deliveries, one minute apart,
// created in the order of the names d0 to d5:
//
//	d0 search item-1 delivered
//	d1 cdn    item-1 dead
//	d2 search item-2 delivered
//	d3 search item-1 pending, next attempt in an hour
//	d4 cdn    item-2 dead
//	d5 search item-2 dead
type deliveryLogFixture struct {
	base time.Time
	ids  map[string]string // fixture name to delivery id
	d    *Dispatcher
}

func newDeliveryLogFixture(t *testing.T, store Store) *deliveryLogFixture {
	t.Helper()
	f := &deliveryLogFixture{base: time.Now().Add(-time.Hour).Truncate(time.Second), ids: map[string]string{}}
	rows := []struct {
		webhook, item string
		state         DeliveryState
	}{
		{"search", "item-1", StateDelivered},
		{"cdn", "item-1", StateDead},
		{"search", "item-2", StateDelivered},
		{"search", "item-1", StatePending},
		{"cdn", "item-2", StateDead},
		{"search", "item-2", StateDead},
	}
	var dels []*Delivery
	for i, row := range rows {
		del := NewDelivery(&Webhook{Name: row.webhook, Kind: KindEventHandler}, EventItemSaved, row.item, []byte(`{}`))
		del.CreatedAt = f.base.Add(time.Duration(i) * time.Minute)
		del.State = row.state
		del.NextAttemptAt = time.Time{}
		switch row.state {
		case StatePending:
			del.NextAttemptAt = time.Now().Add(time.Hour)
		case StateDead:
			del.Reason = "receiver answered 410 Gone"
			del.DeadAt = del.CreatedAt.Add(time.Second)
		}
		f.ids[fmt.Sprintf("d%d", i)] = del.ID
		dels = append(dels, del)
	}
	if err := store.Put(dels); err != nil {
		t.Fatalf("Put: %v", err)
	}
	f.d = mustNew(t, Config{Store: store})
	t.Cleanup(func() { stopNow(f.d) })
	return f
}

// stopNow stops a dispatcher without waiting for its pending deliveries.
func stopNow(d *Dispatcher) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_ = d.Stop(ctx)
}

// names maps delivery ids back to fixture names.
func (f *deliveryLogFixture) names(dels []*Delivery) []string {
	var out []string
	for _, del := range dels {
		for name, id := range f.ids {
			if id == del.ID {
				out = append(out, name)
			}
		}
	}
	return out
}

func TestListFiltersNewestFirst(t *testing.T) {
	minute := func(n int) time.Duration { return time.Duration(n) * time.Minute }
	tests := []struct {
		name   string
		filter func(base time.Time) Filter
		limit  int
		want   []string
	}{
		{"no filter", func(time.Time) Filter { return Filter{} }, 0, []string{"d5", "d4", "d3", "d2", "d1", "d0"}},
		{"dead only", func(time.Time) Filter { return Filter{State: StateDead} }, 0, []string{"d5", "d4", "d1"}},
		{"delivered only", func(time.Time) Filter { return Filter{State: StateDelivered} }, 0, []string{"d2", "d0"}},
		{"pending only", func(time.Time) Filter { return Filter{State: StatePending} }, 0, []string{"d3"}},
		{"one webhook", func(time.Time) Filter { return Filter{Webhook: "cdn"} }, 0, []string{"d4", "d1"}},
		{"one item", func(time.Time) Filter { return Filter{ItemID: "item-1"} }, 0, []string{"d3", "d1", "d0"}},
		{"since is inclusive", func(b time.Time) Filter { return Filter{Since: b.Add(minute(2))} }, 0, []string{"d5", "d4", "d3", "d2"}},
		{"before is exclusive", func(b time.Time) Filter { return Filter{Before: b.Add(minute(2))} }, 0, []string{"d1", "d0"}},
		{"since and before", func(b time.Time) Filter { return Filter{Since: b.Add(minute(1)), Before: b.Add(minute(4))} }, 0, []string{"d3", "d2", "d1"}},
		{"webhook and state", func(time.Time) Filter { return Filter{Webhook: "search", State: StateDead} }, 0, []string{"d5"}},
		{"limit keeps newest", func(time.Time) Filter { return Filter{} }, 2, []string{"d5", "d4"}},
		{"limit after filter", func(time.Time) Filter { return Filter{ItemID: "item-1"} }, 2, []string{"d3", "d1"}},
		{"nothing matches", func(time.Time) Filter { return Filter{Webhook: "crm"} }, 0, nil},
	}
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			f := newDeliveryLogFixture(t, kind.open(t))
			for _, tt := range tests {
				got, err := f.d.List(tt.filter(f.base), tt.limit)
				if err != nil {
					t.Fatalf("%s: List: %v", tt.name, err)
				}
				if names := f.names(got); !slices.Equal(names, tt.want) {
					t.Errorf("%s: List = %v, want %v", tt.name, names, tt.want)
				}
			}
		})
	}
}

func TestPurgeKeepsPendingDeliveries(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			f := newDeliveryLogFixture(t, kind.open(t))

			if n, err := f.d.Purge(Filter{State: StatePending}); !errors.Is(err, ErrPending) || n != 0 {
				t.Errorf("Purge of pending = %d, %v; want 0 and ErrPending", n, err)
			}
			if n, err := f.d.Purge(Filter{Webhook: "cdn"}); err != nil || n != 2 {
				t.Errorf("Purge of webhook cdn = %d, %v; want 2 (d1, d4)", n, err)
			}
			if n, err := f.d.Purge(Filter{}); err != nil || n != 3 {
				t.Errorf("Purge of everything = %d, %v; want 3 (d0, d2, d5)", n, err)
			}

			left, err := f.d.List(Filter{}, 0)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if names := f.names(left); !slices.Equal(names, []string{"d3"}) {
				t.Errorf("deliveries left = %v, want only the pending d3", names)
			}
			if _, err := f.d.Get(f.ids["d5"]); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get of a purged delivery = %v, want ErrNotFound", err)
			}
		})
	}
}

// headerValue looks a header up in a recorded header map, ignoring case.
func headerValue(headers map[string]string, name string) (string, bool) {
	for k, v := range headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// logText renders every log line with its fields, for searching.
func logText(logs *observer.ObservedLogs) string {
	var b strings.Builder
	for _, entry := range logs.All() {
		fmt.Fprintf(&b, "%s %v\n", entry.Message, entry.ContextMap())
	}
	return b.String()
}

// checkNoSecrets fails the test when text contains any of the secrets.
func checkNoSecrets(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, secret := range secrets {
		if strings.Contains(text, secret) {
			t.Errorf("%s contains the secret %q:\n%s", where, secret, text)
		}
	}
}

func TestGetRecordsAttemptsWithoutSecrets(t *testing.T) {
	tests := []struct {
		name         string
		auth         *Authorization
		secretHeader string
		secrets      []string
	}{
		{
			name:         "basic",
			auth:         &Authorization{Type: "basic", Username: "hooks", Password: "pw-Ae7Kq"},
			secretHeader: "Authorization",
			secrets:      []string{"pw-Ae7Kq", base64.StdEncoding.EncodeToString([]byte("hooks:pw-Ae7Kq"))},
		},
		{
			name:         "api key header",
			auth:         &Authorization{Type: "api_key", Key: "X-Api-Key", Value: "key-Zt93"},
			secretHeader: "X-Api-Key",
			secrets:      []string{"key-Zt93"},
		},
		{
			name:         "bearer",
			auth:         &Authorization{Type: "bearer", Token: "tok-Lm40"},
			secretHeader: "Authorization",
			secrets:      []string{"tok-Lm40"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.auth.Check("receiver"); err != nil {
				t.Fatalf("Check: %v", err)
			}
			rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					w.WriteHeader(http.StatusInternalServerError)
					_, _ = w.Write([]byte("busy"))
					return
				}
				w.WriteHeader(http.StatusNoContent)
			})
			wh := eventHandler(t, rc.server.URL, func(wh *Webhook) { wh.Authorization = "receiver" },
				map[string]*Authorization{"receiver": tt.auth})
			logger, logs := observedLogger()
			d := mustNew(t, Config{Logger: logger, Retry: RetryPolicy{MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond}})
			del := NewDelivery(wh, EventItemSaved, "item-1", []byte(`{"EventName":"item:saved"}`))
			if err := d.Enqueue(del); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			drain(t, d)

			got, err := d.Get(del.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if got.State != StateDelivered || string(got.Body) != `{"EventName":"item:saved"}` {
				t.Errorf("Get = state %s, body %s; want delivered with the payload", got.State, got.Body)
			}
			if len(got.Attempts) != 2 {
				t.Fatalf("%d attempts recorded, want 2", len(got.Attempts))
			}
			for i, want := range []struct {
				status  int
				error   string
				excerpt string
			}{{500, "status 500", "busy"}, {204, "", ""}} {
				a := got.Attempts[i]
				if a.Number != i+1 || a.Status != want.status || a.Error != want.error || a.ResponseExcerpt != want.excerpt {
					t.Errorf("attempt %d = number %d, status %d, error %q, excerpt %q; want %d, %d, %q, %q",
						i+1, a.Number, a.Status, a.Error, a.ResponseExcerpt, i+1, want.status, want.error, want.excerpt)
				}
				if a.Duration <= 0 || a.At.IsZero() {
					t.Errorf("attempt %d: duration %s at %s, want both set", i+1, time.Duration(a.Duration), a.At)
				}
				if v, _ := headerValue(a.RequestHeaders, "webhook-id"); v != del.ID {
					t.Errorf("attempt %d: recorded webhook-id = %q, want %q", i+1, v, del.ID)
				}
				if v, ok := headerValue(a.RequestHeaders, tt.secretHeader); v != "[redacted]" {
					t.Errorf("attempt %d: recorded %s = %q (present %t), want [redacted]", i+1, tt.secretHeader, v, ok)
				}
			}
			record, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			checkNoSecrets(t, "the delivery record", string(record), tt.secrets...)
			checkNoSecrets(t, "the log", logText(logs), tt.secrets...)
		})
	}
}

// TestAPIKeyQueryKeptOutOfLog pins that an API key sent in the query reaches
// the receiver but neither the delivery log nor an error message.
func TestAPIKeyQueryKeptOutOfLog(t *testing.T) {
	auths := map[string]*Authorization{"receiver": {Type: "api_key", Key: "Key", Value: "qk-8Hs2", AddTo: "query"}}
	if err := auths["receiver"].Check("receiver"); err != nil {
		t.Fatalf("Check: %v", err)
	}
	var (
		mu    sync.Mutex
		query url.Values
	)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		query = r.URL.Query()
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	up := eventHandler(t, rc.server.URL+"/hooks?source=cms", func(wh *Webhook) { wh.Authorization = "receiver" }, auths)
	unreachable := eventHandler(t, down.URL+"/hooks?source=cms", func(wh *Webhook) {
		wh.Name = "Unreachable receiver"
		wh.Authorization = "receiver"
	}, auths)
	logger, logs := observedLogger()
	d := mustNew(t, Config{Logger: logger, Retry: RetryPolicy{MaxAttempts: 1}})
	sent := NewDelivery(up, EventItemSaved, "item-1", []byte(`{}`))
	failed := NewDelivery(unreachable, EventItemSaved, "item-1", []byte(`{}`))
	if err := d.Enqueue(sent, failed); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	drain(t, d)

	mu.Lock()
	if query.Get("Key") != "qk-8Hs2" || query.Get("source") != "cms" {
		t.Errorf("receiver query = %v, want Key=qk-8Hs2 and source=cms", query)
	}
	mu.Unlock()
	for _, del := range []*Delivery{sent, failed} {
		got, err := d.Get(del.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if len(got.Attempts) != 1 {
			t.Fatalf("%s: %d attempts, want 1", del.WebhookName, len(got.Attempts))
		}
		record, _ := json.Marshal(got)
		checkNoSecrets(t, del.WebhookName+" record", string(record), "qk-8Hs2")
	}
	if got, _ := d.Get(failed.ID); got.State != StateDead || got.Attempts[0].Error == "" {
		t.Errorf("unreachable receiver: state %s, error %q; want dead with an error", got.State, got.Attempts[0].Error)
	}
	checkNoSecrets(t, "the log", logText(logs), "qk-8Hs2")
}

// goneOnceReceiver responds with 410 Gone to the first request of each
// webhook-id and with 204 to the later ones.
func goneOnceReceiver(t *testing.T) *receiver {
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	return newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("webhook-id")
		mu.Lock()
		first := !seen[id]
		seen[id] = true
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func waitForDelivery(t *testing.T, d *Dispatcher, id string, state DeliveryState) *Delivery {
	t.Helper()
	var got *Delivery
	waitUntil(t, fmt.Sprintf("delivery %s %s", id, state), func() bool {
		del, err := d.Get(id)
		got = del
		return err == nil && del.State == state
	})
	return got
}

func TestReplayDeadKeepsWebhookID(t *testing.T) {
	rc := goneOnceReceiver(t)
	wh := eventHandler(t, rc.server.URL, nil, nil)
	d := newTestDispatcher(t, Config{Webhooks: []*Webhook{wh}, Retry: RetryPolicy{MaxAttempts: 5, InitialBackoff: 10 * time.Millisecond}})
	del := NewDelivery(wh, EventItemSaved, "item-1", []byte(`{}`))
	if err := d.Enqueue(del); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	waitForDelivery(t, d, del.ID, StateDead)

	if err := d.Replay(del.ID); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	got := waitForDelivery(t, d, del.ID, StateDelivered)

	// A delivered delivery can be replayed too; the count goes on.
	if err := d.Replay(del.ID); err != nil {
		t.Fatalf("second Replay: %v", err)
	}
	waitUntil(t, "the second replay's attempt", func() bool {
		got, _ = d.Get(del.ID)
		return got != nil && got.State == StateDelivered && len(got.Attempts) == 3
	})

	reqs := rc.received()
	if len(reqs) != 3 {
		t.Fatalf("receiver got %d requests, want 3 (410, replay, replay)", len(reqs))
	}
	for i, req := range reqs {
		if id := req.header.Get("webhook-id"); id != del.ID {
			t.Errorf("request %d: webhook-id = %q, want %q", i+1, id, del.ID)
		}
	}
	want := []Attempt{{Number: 1, Status: 410}, {Number: 2, Status: 204, Replay: true}, {Number: 3, Status: 204, Replay: true}}
	for i, w := range want {
		a := got.Attempts[i]
		if a.Number != w.Number || a.Status != w.Status || a.Replay != w.Replay {
			t.Errorf("attempt %d = number %d, status %d, replay %t; want %d, %d, %t",
				i+1, a.Number, a.Status, a.Replay, w.Number, w.Status, w.Replay)
		}
	}
	if got.Replays != 2 || got.Reason != "" || !got.DeadAt.IsZero() {
		t.Errorf("record = replays %d, reason %q, dead at %s; want 2 replays, no reason, no dead time",
			got.Replays, got.Reason, got.DeadAt)
	}
}

func TestReplayPendingReturnsErrPending(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	wh := eventHandler(t, rc.server.URL, nil, nil)
	d := mustNew(t, Config{Retry: RetryPolicy{MaxAttempts: 5, InitialBackoff: time.Hour, MaxBackoff: time.Hour}})
	defer stopNow(d)
	del := NewDelivery(wh, EventItemSaved, "item-1", []byte(`{}`))
	if err := d.Enqueue(del); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	waitUntil(t, "the first failed attempt", func() bool {
		got, err := d.Get(del.ID)
		return err == nil && len(got.Attempts) == 1
	})

	if err := d.Replay(del.ID); !errors.Is(err, ErrPending) {
		t.Errorf("Replay of a pending delivery = %v, want ErrPending", err)
	}
	if err := d.Replay("msg_unknown"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Replay of an unknown id = %v, want ErrNotFound", err)
	}
	if n := len(rc.received()); n != 1 {
		t.Errorf("receiver got %d requests, want 1: a refused replay sends nothing", n)
	}
}

func TestReplayDeadSinceSkipsOlder(t *testing.T) {
	rc := goneOnceReceiver(t)
	wh := eventHandler(t, rc.server.URL, nil, nil)
	d := newTestDispatcher(t, Config{Webhooks: []*Webhook{wh}, Retry: RetryPolicy{MaxAttempts: 5, InitialBackoff: 10 * time.Millisecond}})
	older := NewDelivery(wh, EventItemSaved, "item-1", []byte(`{}`))
	if err := d.Enqueue(older); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	waitForDelivery(t, d, older.ID, StateDead)
	since := time.Now()
	newer := []*Delivery{
		NewDelivery(wh, EventItemSaved, "item-2", []byte(`{}`)),
		NewDelivery(wh, EventItemSaved, "item-3", []byte(`{}`)),
	}
	if err := d.Enqueue(newer...); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	for _, del := range newer {
		waitForDelivery(t, d, del.ID, StateDead)
	}

	if n, err := d.ReplayDead(since, Filter{Webhook: "Another webhook"}); err != nil || n != 0 {
		t.Errorf("ReplayDead for another webhook = %d, %v; want 0", n, err)
	}
	n, err := d.ReplayDead(since, Filter{})
	if err != nil || n != 2 {
		t.Fatalf("ReplayDead = %d, %v; want 2", n, err)
	}
	for _, del := range newer {
		waitForDelivery(t, d, del.ID, StateDelivered)
	}

	if got, _ := d.Get(older.ID); got.State != StateDead || got.Replays != 0 {
		t.Errorf("the delivery dead before since = %s with %d replays, want dead and never replayed", got.State, got.Replays)
	}
	if n := countWebhookID(rc, older.ID); n != 1 {
		t.Errorf("the older dead delivery was sent %d times, want 1", n)
	}
}

func countWebhookID(rc *receiver, id string) int {
	n := 0
	for _, req := range rc.received() {
		if req.header.Get("webhook-id") == id {
			n++
		}
	}
	return n
}

// enqueueBeyondQueueSize enqueues two deliveries into a dispatcher with
// room for one and returns them, the second stored as dead.
func enqueueBeyondQueueSize(t *testing.T, d *Dispatcher, wh *Webhook) (accepted, overflow *Delivery) {
	t.Helper()
	accepted = NewDelivery(wh, EventItemSaved, "item-1", []byte(`{"Seq":1}`))
	overflow = NewDelivery(wh, EventItemSaved, "item-1", []byte(`{"Seq":2}`))
	if err := d.Enqueue(accepted, overflow); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Enqueue beyond QueueSize = %v, want ErrQueueFull", err)
	}
	waitForDelivery(t, d, accepted.ID, StateDelivered)
	return accepted, overflow
}

func TestQueueFullStoredAsDeadLetter(t *testing.T) {
	rc := newReceiver(t, nil)
	wh := eventHandler(t, rc.server.URL, nil, nil)
	d := newTestDispatcher(t, Config{QueueSize: 1, Webhooks: []*Webhook{wh}})
	enqueued := time.Now()
	_, overflow := enqueueBeyondQueueSize(t, d, wh)

	got, err := d.Get(overflow.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.State != StateDead || got.Reason != "queue full" || string(got.Body) != `{"Seq":2}` {
		t.Errorf("overflow = state %s, reason %q, body %s; want dead, queue full, with its payload", got.State, got.Reason, got.Body)
	}
	if got.DeadAt.Before(enqueued) {
		t.Errorf("overflow DeadAt = %s, want the time it was refused (after %s)", got.DeadAt, enqueued)
	}
	dead, _ := d.List(Filter{State: StateDead}, 0)
	if len(dead) != 1 || dead[0].ID != overflow.ID {
		t.Errorf("dead letters = %d, want only the overflow", len(dead))
	}

	if err := d.Replay(overflow.ID); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	waitForDelivery(t, d, overflow.ID, StateDelivered)
	if n := countWebhookID(rc, overflow.ID); n != 1 {
		t.Errorf("receiver got the replayed overflow %d times, want 1", n)
	}
}

// TestReplayDeadIncludesQueueFull pins that a delivery refused for a full
// queue counts as died when it was refused, so replaying the dead letters
// of the last hour sends it.
func TestReplayDeadIncludesQueueFull(t *testing.T) {
	rc := newReceiver(t, nil)
	wh := eventHandler(t, rc.server.URL, nil, nil)
	d := newTestDispatcher(t, Config{QueueSize: 1, Webhooks: []*Webhook{wh}})
	_, overflow := enqueueBeyondQueueSize(t, d, wh)

	n, err := d.ReplayDead(time.Now().Add(-time.Hour), Filter{})
	if err != nil || n != 1 {
		t.Fatalf("ReplayDead of the last hour = %d, %v; want 1, the overflow", n, err)
	}
	waitForDelivery(t, d, overflow.ID, StateDelivered)
}
