package dispatch

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// receivedRequest is one request as a test receiver saw it.
type receivedRequest struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is a loopback webhook receiver that records every request and
// replies through respond, which gets the 1-based number of the request.
type receiver struct {
	server  *httptest.Server
	respond func(n int, w http.ResponseWriter, r *http.Request)

	mu       sync.Mutex
	requests []receivedRequest
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{respond: respond}
	rc.server = httptest.NewServer(http.HandlerFunc(rc.serveHTTP))
	t.Cleanup(rc.server.Close)
	return rc
}

func (rc *receiver) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.requests = append(rc.requests, receivedRequest{header: r.Header.Clone(), body: body, at: time.Now()})
	n := len(rc.requests)
	rc.mu.Unlock()

	if rc.respond == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rc.respond(n, w, r)
}

func (rc *receiver) received() []receivedRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receivedRequest(nil), rc.requests...)
}

// eventHandler returns a prepared event handler that posts to url.
func eventHandler(t *testing.T, url string, configure func(*Webhook), auths map[string]*Authorization) *Webhook {
	t.Helper()
	wh := &Webhook{Name: "Search index refresh", URL: url, Events: []string{EventItemSaved}}
	if configure != nil {
		configure(wh)
	}
	if err := wh.Prepare(KindEventHandler, auths); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return wh
}

// drain stops the dispatcher and waits for the queued deliveries, with a
// deadline far above what the test needs so it never decides the outcome.
func drain(t *testing.T, d *Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func observedLogger() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return zap.New(core), logs
}

func TestDeliveryFirstAttemptHeaders(t *testing.T) {
	auths := map[string]*Authorization{
		"receiver basic":   {Type: "basic", Username: "hooks", Password: "s3cret:with colon"},
		"receiver api key": {Type: "api_key", Key: "X-Api-Key", Value: "k-123"},
		"receiver bearer":  {Type: "bearer", Token: "tok-456"},
	}
	tests := []struct {
		name          string
		authorization string
		check         func(t *testing.T, header http.Header)
	}{
		{
			name: "no authorization",
			check: func(t *testing.T, header http.Header) {
				if got := header.Get("Authorization"); got != "" {
					t.Errorf("Authorization = %q, want none", got)
				}
			},
		},
		{
			name:          "basic authorization",
			authorization: "receiver basic",
			check: func(t *testing.T, header http.Header) {
				want := "Basic " + base64.StdEncoding.EncodeToString([]byte("hooks:s3cret:with colon"))
				if got := header.Get("Authorization"); got != want {
					t.Errorf("Authorization = %q, want %q", got, want)
				}
			},
		},
		{
			name:          "api key header",
			authorization: "receiver api key",
			check: func(t *testing.T, header http.Header) {
				if got := header.Get("X-Api-Key"); got != "k-123" {
					t.Errorf("X-Api-Key = %q, want k-123", got)
				}
				if got := header.Get("Authorization"); got != "" {
					t.Errorf("Authorization = %q, want none", got)
				}
			},
		},
		{
			name:          "bearer token",
			authorization: "receiver bearer",
			check: func(t *testing.T, header http.Header) {
				if got := header.Get("Authorization"); got != "Bearer tok-456" {
					t.Errorf("Authorization = %q, want Bearer tok-456", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, nil)
			wh := eventHandler(t, rc.server.URL+"/hooks", func(wh *Webhook) {
				wh.Authorization = tt.authorization
			}, auths)
			d := mustNew(t, Config{Workers: 2})
			body := []byte(`{"EventName":"item:saved","WebhookItemName":"<Search & index>"}`)
			del := NewDelivery(wh, EventItemSaved, "79bf28f5-cb7b-4de4-9969-d294b7b33fcb", body)

			if err := d.Enqueue(del); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			drain(t, d)

			got := rc.received()
			if len(got) != 1 {
				t.Fatalf("receiver got %d requests, want 1", len(got))
			}
			header := got[0].header
			if id := header.Get("webhook-id"); !strings.HasPrefix(id, "msg_") || id != del.ID {
				t.Errorf("webhook-id = %q, want the delivery id %q starting with msg_", id, del.ID)
			}
			if values := header.Values("Content-Type"); len(values) != 1 || values[0] != "application/json" {
				t.Errorf("Content-Type = %q, want exactly application/json", values)
			}
			if string(got[0].body) != string(body) {
				t.Errorf("body = %s, want %s", got[0].body, body)
			}
			tt.check(t, header)
		})
	}
}

func TestDeliveryRetriesKeepWebhookID(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	wh := eventHandler(t, rc.server.URL, nil, nil)
	logger, logs := observedLogger()
	d := mustNew(t, Config{Workers: 1, Logger: logger, Retry: RetryPolicy{MaxAttempts: 5, InitialBackoff: 10 * time.Millisecond}})
	del := NewDelivery(wh, EventItemSaved, "79bf28f5-cb7b-4de4-9969-d294b7b33fcb", []byte(`{}`))

	if err := d.Enqueue(del); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	drain(t, d)

	got := rc.received()
	if len(got) != 3 {
		t.Fatalf("receiver got %d attempts, want 3 (two 500s, then success)", len(got))
	}
	for i, req := range got {
		if id := req.header.Get("webhook-id"); id != del.ID {
			t.Errorf("attempt %d: webhook-id = %q, want %q", i+1, id, del.ID)
		}
	}
	if n := logs.FilterMessageSnippet("delivery dead-lettered").Len(); n != 0 {
		t.Errorf("%d dead-letter log lines for a delivery that succeeded", n)
	}
}

func TestDeliveryGoneStopsRetries(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusGone)
	})
	wh := eventHandler(t, rc.server.URL, nil, nil)
	logger, logs := observedLogger()
	d := mustNew(t, Config{Workers: 1, Logger: logger, Retry: RetryPolicy{MaxAttempts: 5, InitialBackoff: 10 * time.Millisecond}})

	if err := d.Enqueue(NewDelivery(wh, EventItemSaved, "item-1", []byte(`{}`))); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	drain(t, d)

	if n := len(rc.received()); n != 1 {
		t.Errorf("receiver got %d attempts, want 1 after 410 Gone", n)
	}
	if n := logs.FilterMessageSnippet("delivery dead-lettered").Len(); n != 1 {
		t.Errorf("%d dead-letter log lines, want 1", n)
	}
}

func TestDeliveryMaxAttemptsOneSendsOnce(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	wh := eventHandler(t, rc.server.URL, nil, nil)
	logger, logs := observedLogger()
	d := mustNew(t, Config{Workers: 1, Logger: logger, Retry: RetryPolicy{MaxAttempts: 1, InitialBackoff: 10 * time.Millisecond}})

	if err := d.Enqueue(NewDelivery(wh, EventItemSaved, "item-1", []byte(`{}`))); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	drain(t, d)

	if n := len(rc.received()); n != 1 {
		t.Errorf("receiver got %d attempts, want 1 with MaxAttempts 1", n)
	}
	if n := logs.FilterMessageSnippet("delivery dead-lettered").Len(); n != 1 {
		t.Errorf("%d dead-letter log lines, want 1", n)
	}
}

func TestDeliveryAttemptsExhaustedDeadLetter(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	wh := eventHandler(t, rc.server.URL, nil, nil)
	logger, logs := observedLogger()
	d := mustNew(t, Config{Workers: 1, Logger: logger, Retry: RetryPolicy{MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond}})

	if err := d.Enqueue(NewDelivery(wh, EventItemSaved, "item-1", []byte(`{}`))); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	drain(t, d)

	if n := len(rc.received()); n != 3 {
		t.Errorf("receiver got %d attempts, want 3", n)
	}
	deadLetters := logs.FilterMessageSnippet("delivery dead-lettered").All()
	if len(deadLetters) != 1 {
		t.Fatalf("%d dead-letter log lines, want 1", len(deadLetters))
	}
	if got := deadLetters[0].ContextMap()["attempt"]; got != int64(3) {
		t.Errorf("dead letter attempt = %v, want 3", got)
	}
}

func TestDeliveryHonoursRetryAfter(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	wh := eventHandler(t, rc.server.URL, nil, nil)
	d := mustNew(t, Config{Workers: 1, Retry: RetryPolicy{MaxAttempts: 3, InitialBackoff: 10 * time.Millisecond}})

	if err := d.Enqueue(NewDelivery(wh, EventItemSaved, "item-1", []byte(`{}`))); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	drain(t, d)

	got := rc.received()
	if len(got) != 2 {
		t.Fatalf("receiver got %d attempts, want 2", len(got))
	}
	// The gap also covers the first response's trip back, so it can only
	// be longer than the requested second.
	if gap := got[1].at.Sub(got[0].at); gap < time.Second {
		t.Errorf("second attempt came %s after the first, want at least the Retry-After of 1s", gap)
	}
}

// TestDeliveryPerItemOrderWithWorkers pins that deliveries for one item to
// one webhook arrive in enqueue order while several workers run.
func TestDeliveryPerItemOrderWithWorkers(t *testing.T) {
	type sequenced struct {
		Item string `json:"item"`
		Seq  int    `json:"seq"`
	}
	rc := newReceiver(t, nil)
	wh := eventHandler(t, rc.server.URL, nil, nil)
	d := mustNew(t, Config{Workers: 4, Retry: RetryPolicy{MaxAttempts: 1}})
	items := []string{
		"79bf28f5-cb7b-4de4-9969-d294b7b33fcb",
		"4a91826a-ccf8-4738-b539-eed720875f02",
		"89169dfe-e040-4376-9d86-ba2d17f0612b",
		"0db0ce8c-77a3-4969-903f-138c626483d1",
	}
	const perItem = 50

	for seq := range perItem {
		for _, item := range items {
			body, _ := json.Marshal(sequenced{Item: item, Seq: seq})
			if err := d.Enqueue(NewDelivery(wh, EventItemSaved, item, body)); err != nil {
				t.Fatalf("Enqueue %s #%d: %v", item, seq, err)
			}
		}
	}
	drain(t, d)

	got := rc.received()
	if len(got) != perItem*len(items) {
		t.Fatalf("receiver got %d deliveries, want %d", len(got), perItem*len(items))
	}
	next := map[string]int{}
	for _, req := range got {
		var s sequenced
		if err := json.Unmarshal(req.body, &s); err != nil {
			t.Fatalf("decoding %s: %v", req.body, err)
		}
		if s.Seq != next[s.Item] {
			t.Errorf("item %s: got #%d, want #%d", s.Item, s.Seq, next[s.Item])
		}
		next[s.Item] = s.Seq + 1
	}
	for _, item := range items {
		if next[item] != perItem {
			t.Errorf("item %s: last delivery #%d, want #%d", item, next[item]-1, perItem-1)
		}
	}
}

func TestEnqueueBeyondQueueSizeFails(t *testing.T) {
	entered := make(chan struct{}, 8)
	release := make(chan struct{})
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.WriteHeader(http.StatusOK)
	})
	wh := eventHandler(t, rc.server.URL, nil, nil)
	d := mustNew(t, Config{Workers: 1, QueueSize: 2, Retry: RetryPolicy{MaxAttempts: 1}})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()

	for i := range 2 {
		if err := d.Enqueue(NewDelivery(wh, EventItemSaved, "item-1", []byte(`{}`))); err != nil {
			t.Fatalf("Enqueue #%d: %v", i+1, err)
		}
	}
	<-entered

	err := d.Enqueue(NewDelivery(wh, EventItemSaved, "item-1", []byte(`{}`)))
	if !errors.Is(err, ErrQueueFull) {
		t.Errorf("Enqueue beyond QueueSize = %v, want ErrQueueFull", err)
	}
	if n := d.Pending(); n != 2 {
		t.Errorf("Pending = %d, want 2", n)
	}

	releaseOnce()
	drain(t, d)
	if n := len(rc.received()); n != 2 {
		t.Errorf("receiver got %d deliveries, want the 2 accepted ones", n)
	}
}

func TestStopDrainsQueuedDeliveries(t *testing.T) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond)
		w.WriteHeader(http.StatusOK)
	})
	wh := eventHandler(t, rc.server.URL, nil, nil)
	d := mustNew(t, Config{Workers: 2})
	const total = 40

	for i := range total {
		item := fmt.Sprintf("item-%d", i%5)
		if err := d.Enqueue(NewDelivery(wh, EventItemSaved, item, []byte(`{}`))); err != nil {
			t.Fatalf("Enqueue #%d: %v", i, err)
		}
	}
	drain(t, d)

	if n := len(rc.received()); n != total {
		t.Errorf("receiver got %d deliveries before Stop returned, want %d", n, total)
	}
	if n := d.Pending(); n != 0 {
		t.Errorf("Pending after Stop = %d, want 0", n)
	}
	if err := d.Enqueue(NewDelivery(wh, EventItemSaved, "item-0", []byte(`{}`))); !errors.Is(err, ErrQueueClosed) {
		t.Errorf("Enqueue after Stop = %v, want ErrQueueClosed", err)
	}
}

// TestStopReturnsAfterDeadline pins that Stop gives up at its deadline even
// when a receiver holds an attempt open, so shutdown is bounded by the
// caller rather than by the webhook timeout.
func TestStopReturnsAfterDeadline(t *testing.T) {
	entered := make(chan struct{}, 8)
	release := make(chan struct{})
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	})
	wh := eventHandler(t, rc.server.URL, func(wh *Webhook) {
		wh.Timeout = Duration(time.Minute)
	}, nil)
	logger, logs := observedLogger()
	d := mustNew(t, Config{Workers: 1, Logger: logger, Retry: RetryPolicy{MaxAttempts: 1}})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()

	for range 2 {
		if err := d.Enqueue(NewDelivery(wh, EventItemSaved, "item-1", []byte(`{}`))); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
	<-entered

	stopped := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	go func() { stopped <- d.Stop(ctx) }()

	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Error("Stop still waits for the open attempt 5s after its deadline")
		releaseOnce()
		<-stopped
	}
	if n := logs.FilterMessageSnippet("delivery lost at shutdown").Len(); n < 1 {
		t.Errorf("%d lost-at-shutdown log lines, want at least 1 for the delivery never attempted", n)
	}
}

// TestStopTwiceAfterDeadline pins that calling Stop again after its deadline
// does not panic, so owners of a shared dispatcher need not track who stopped it.
func TestStopTwiceAfterDeadline(t *testing.T) {
	for i := range 20 {
		d := mustNew(t, Config{Workers: 4})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("round %d: second Stop panicked: %v", i, p)
				}
			}()
			_ = d.Stop(ctx)
			_ = d.Stop(ctx)
		}()
	}
}

func TestParseRetryAfterValues(t *testing.T) {
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"1", time.Second},
		{"120", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.value, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.value, got, tt.want)
		}
	}
}

func TestBackoffDoublesWithinCap(t *testing.T) {
	d := &Dispatcher{}
	d.cfg.Store(&Config{Retry: RetryPolicy{
		MaxAttempts:    10,
		InitialBackoff: 100 * time.Millisecond,
		MaxBackoff:     time.Second,
	}})
	tests := []struct {
		attempts   int
		retryAfter time.Duration
		min, max   time.Duration
	}{
		{attempts: 1, min: 100 * time.Millisecond, max: 120 * time.Millisecond},
		{attempts: 2, min: 200 * time.Millisecond, max: 240 * time.Millisecond},
		{attempts: 3, min: 400 * time.Millisecond, max: 480 * time.Millisecond},
		{attempts: 9, min: time.Second, max: time.Second},
		{attempts: 40, min: time.Second, max: time.Second},
		{attempts: 1, retryAfter: 700 * time.Millisecond, min: 700 * time.Millisecond, max: 700 * time.Millisecond},
		{attempts: 1, retryAfter: time.Hour, min: time.Second, max: time.Second},
	}
	for _, tt := range tests {
		for range 50 {
			got := d.backoff(tt.attempts, tt.retryAfter)
			if got < tt.min || got > tt.max {
				t.Errorf("backoff(%d, %s) = %s, want within [%s, %s]", tt.attempts, tt.retryAfter, got, tt.min, tt.max)
				break
			}
		}
	}
}

// mustNew returns a started dispatcher or fails the test.
func mustNew(t *testing.T, cfg Config) *Dispatcher {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}
