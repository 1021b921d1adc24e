package dispatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// userAgent identifies the sidecar to receivers.
const userAgent = "caddy-cms-webhooks"

// maxResponseExcerpt bounds how much of a receiver's answer is read, so that
// a connection can be reused without trusting the receiver's size.
const maxResponseExcerpt = 64 << 10

// Config sets up a Dispatcher.
type Config struct {
	// Workers is the number of concurrent deliveries. Deliveries for the
	// same item to the same webhook go to the same worker, so they arrive
	// in order. Default: 8.
	Workers int

	// QueueSize bounds the deliveries waiting in memory. Default: 10000.
	QueueSize int

	// Retry is the retry policy of event handlers and submit actions.
	Retry RetryPolicy

	// Logger receives one line per attempt and per validation verdict.
	Logger *zap.Logger

	// Client sends the webhook requests. Default: a client tuned for many
	// requests to few hosts.
	Client *http.Client
}

// RetryPolicy decides how often and when a failed delivery is tried again.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt too: 1 sends once and never
	// retries, as Sitecore does. Default: 5.
	MaxAttempts int

	// InitialBackoff is the wait before the second attempt. Each later wait
	// doubles, with up to 20% random jitter. Default: 1s.
	InitialBackoff time.Duration

	// MaxBackoff caps one wait, a Retry-After answer included. Default: 5m.
	MaxBackoff time.Duration
}

// Dispatcher delivers event handler and submit action payloads from a queue
// and calls validation actions inline. It outlives any one configuration of
// the Caddy handler, so it is safe to enqueue until Stop returns.
type Dispatcher struct {
	cfg    Config
	logger *zap.Logger
	client *http.Client
	queue  *memoryQueue

	stopping chan struct{}
	stopOnce sync.Once
	done     sync.WaitGroup

	// base is the parent of every attempt's context. Stop cancels it at
	// its deadline, so an open attempt cannot hold shutdown up.
	base  context.Context
	abort context.CancelFunc
}

// New returns a started Dispatcher.
func New(cfg Config) *Dispatcher {
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 10000
	}
	if cfg.Retry.MaxAttempts <= 0 {
		cfg.Retry.MaxAttempts = 5
	}
	if cfg.Retry.InitialBackoff <= 0 {
		cfg.Retry.InitialBackoff = time.Second
	}
	if cfg.Retry.MaxBackoff <= 0 {
		cfg.Retry.MaxBackoff = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Client == nil {
		cfg.Client = newClient()
	}
	d := &Dispatcher{
		cfg:      cfg,
		logger:   cfg.Logger,
		client:   cfg.Client,
		queue:    newMemoryQueue(cfg.Workers, cfg.QueueSize),
		stopping: make(chan struct{}),
	}
	d.base, d.abort = context.WithCancel(context.Background())
	for i := range cfg.Workers {
		d.done.Add(1)
		go d.work(i)
	}
	return d
}

func newClient() *http.Client {
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &http.Client{
		Transport: transport,
		// Redirects are not followed: a 3xx is a failed attempt, as the
		// Standard Webhooks specification advises.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Enqueue queues a delivery. It never blocks: a full queue returns
// ErrQueueFull, and the caller logs the loss.
func (d *Dispatcher) Enqueue(del *Delivery) error {
	return d.queue.enqueue(del)
}

// Pending returns the number of queued deliveries.
func (d *Dispatcher) Pending() int {
	return d.queue.len()
}

// Stop stops taking deliveries and waits until the queued ones are delivered
// or ctx ends. Deliveries still queued then are logged as lost, because the
// in-memory queue does not survive the process.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.queue.close()
	finished := make(chan struct{})
	go func() {
		d.done.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		d.stopOnce.Do(func() {
			close(d.stopping)
			d.abort()
		})
		<-finished
		return ctx.Err()
	}
}

func (d *Dispatcher) work(shard int) {
	defer d.done.Done()
	for del := range d.queue.shards[shard] {
		select {
		case <-d.stopping:
			d.logLost(del)
		default:
			d.deliver(del)
		}
		d.queue.count.Add(-1)
	}
}

// deliver makes attempts until one succeeds, the receiver answers 410 Gone,
// or the retry policy gives up.
func (d *Dispatcher) deliver(del *Delivery) {
	for {
		del.Attempts++
		result := d.attempt(del)
		d.logAttempt(del, result)
		if result.err == nil {
			return
		}
		if d.base.Err() != nil {
			// Stop's deadline cut the attempt short.
			d.logLost(del)
			return
		}
		if result.status == http.StatusGone {
			d.deadLetter(del, "receiver answered 410 Gone")
			return
		}
		if del.Attempts >= d.cfg.Retry.MaxAttempts {
			d.deadLetter(del, fmt.Sprintf("no success after %d attempts", del.Attempts))
			return
		}
		wait := d.backoff(del.Attempts, result.retryAfter)
		select {
		case <-time.After(wait):
		case <-d.stopping:
			d.logLost(del)
			return
		}
	}
}

// attemptResult is the outcome of one attempt.
type attemptResult struct {
	status     int
	duration   time.Duration
	retryAfter time.Duration
	err        error
}

func (d *Dispatcher) attempt(del *Delivery) attemptResult {
	wh := del.Webhook
	ctx, cancel := context.WithTimeout(d.base, time.Duration(wh.Timeout))
	defer cancel()

	start := time.Now()
	req, err := d.newRequest(ctx, wh, del.Body, del.ID)
	if err != nil {
		return attemptResult{err: err}
	}
	resp, err := d.client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", time.Duration(wh.Timeout))
		} else {
			err = redactURLError(err)
		}
		return attemptResult{duration: time.Since(start), err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseExcerpt))
	resp.Body.Close()

	r := attemptResult{status: resp.StatusCode, duration: time.Since(start)}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.err = fmt.Errorf("status %d", resp.StatusCode)
		r.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return r
}

// newRequest builds the POST to a webhook. deliveryID is empty for
// validation calls, which are not queued deliveries.
func (d *Dispatcher) newRequest(ctx context.Context, wh *Webhook, body []byte, deliveryID string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building request: %v", err)
	}
	req.Header.Set("Content-Type", ContentTypeJSON)
	req.Header.Set("User-Agent", userAgent)
	if deliveryID != "" {
		req.Header.Set("webhook-id", deliveryID)
	}
	if wh.auth != nil {
		wh.auth.Apply(req)
	}
	return req, nil
}

// backoff returns the wait before the next attempt: exponential with up to
// 20% jitter, or the receiver's Retry-After when it asked for longer.
func (d *Dispatcher) backoff(attempts int, retryAfter time.Duration) time.Duration {
	wait := d.cfg.Retry.InitialBackoff << min(attempts-1, 30)
	if wait <= 0 || wait > d.cfg.Retry.MaxBackoff {
		wait = d.cfg.Retry.MaxBackoff
	}
	wait += time.Duration(rand.Int64N(int64(wait)/5 + 1))
	if retryAfter > wait {
		wait = retryAfter
	}
	return min(wait, d.cfg.Retry.MaxBackoff)
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date
// (RFC 9110, section 10.2.3).
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func (d *Dispatcher) logAttempt(del *Delivery, r attemptResult) {
	level := zap.InfoLevel
	msg := "delivery attempt succeeded"
	if r.err != nil {
		level = zap.WarnLevel
		msg = "delivery attempt failed"
	}
	ce := d.logger.Check(level, msg)
	if ce == nil {
		return
	}
	fields := []zap.Field{
		zap.String("webhook", del.Webhook.Name),
		zap.String("event", del.Event),
		zap.String("item_id", del.ItemID),
		zap.String("delivery_id", del.ID),
		zap.Int("attempt", del.Attempts),
		zap.Int("status", r.status),
		zap.Duration("duration", r.duration),
	}
	if r.err != nil {
		fields = append(fields, zap.Error(r.err))
	}
	ce.Write(fields...)
}

// logLost reports a delivery that shutdown ended before it succeeded.
// TODO: the durable queue keeps such deliveries; the in-memory one cannot.
func (d *Dispatcher) logLost(del *Delivery) {
	d.logger.Error("delivery lost at shutdown: the in-memory queue does not survive a restart",
		zap.String("webhook", del.Webhook.Name),
		zap.String("event", del.Event),
		zap.String("item_id", del.ItemID),
		zap.String("delivery_id", del.ID),
		zap.Int("attempt", del.Attempts))
}

func (d *Dispatcher) deadLetter(del *Delivery, reason string) {
	d.logger.Error("delivery dead-lettered",
		zap.String("webhook", del.Webhook.Name),
		zap.String("event", del.Event),
		zap.String("item_id", del.ItemID),
		zap.String("delivery_id", del.ID),
		zap.Int("attempt", del.Attempts),
		zap.String("reason", reason))
}

// memoryQueue is a bounded in-memory queue, split into one channel per
// worker so that deliveries with the same order key stay in order.
type memoryQueue struct {
	mu     sync.RWMutex
	closed bool
	shards []chan *Delivery
	seed   maphash.Seed
	limit  int64
	count  atomic.Int64
}

func newMemoryQueue(workers, size int) *memoryQueue {
	q := &memoryQueue{shards: make([]chan *Delivery, workers), seed: maphash.MakeSeed(), limit: int64(size)}
	for i := range q.shards {
		q.shards[i] = make(chan *Delivery, size)
	}
	return q
}

func (q *memoryQueue) enqueue(del *Delivery) error {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return ErrQueueClosed
	}
	if q.count.Add(1) > q.limit {
		q.count.Add(-1)
		return ErrQueueFull
	}
	shard := maphash.String(q.seed, del.orderKey()) % uint64(len(q.shards))
	select {
	case q.shards[shard] <- del:
		return nil
	default:
		q.count.Add(-1)
		return ErrQueueFull
	}
}

func (q *memoryQueue) len() int {
	return int(q.count.Load())
}

func (q *memoryQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	for _, ch := range q.shards {
		close(ch)
	}
}
