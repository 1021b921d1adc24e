package dispatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// maxResponseExcerpt bounds how much of a receiver's response is read and
// kept in the delivery log.
const maxResponseExcerpt = 1 << 10

func (d *Dispatcher) work() {
	defer d.done.Done()
	for {
		e := d.sched.next(d.stopping)
		if e == nil {
			return
		}
		d.attemptEntry(e)
	}
}

// attemptEntry makes one attempt of a scheduled delivery and records the
// outcome in the store and the schedule.
func (d *Dispatcher) attemptEntry(e *entry) {
	del := e.del
	wh := d.webhookFor(del)
	if wh == nil {
		d.finish(e, StateDead, fmt.Sprintf("webhook %q is not configured", del.WebhookName), time.Time{})
		return
	}
	var body []byte
	if b := e.body.Load(); b != nil {
		body = *b
	} else {
		var err error
		body, err = d.store.Body(del.ID)
		if err != nil {
			d.finish(e, StateDead, fmt.Sprintf("payload not found in the store: %v", err), time.Time{})
			return
		}
	}

	a, retryAfter := d.attempt(wh, del, body)
	a.Number = len(del.Attempts) + 1
	a.Replay = del.replayPending
	del.replayPending = false
	del.Attempts = append(del.Attempts, a)
	d.logAttempt(del, &a)

	switch {
	case a.Error == "":
		d.finish(e, StateDelivered, "", time.Time{})
	case d.base.Err() != nil:
		// Stop's deadline cut the attempt short: the delivery stays
		// pending for the next start.
		d.finish(e, StatePending, "", time.Now())
	case a.Status == http.StatusGone:
		d.finish(e, StateDead, "receiver answered 410 Gone", time.Time{})
	case del.attemptsSinceReplay() >= d.conf().Retry.MaxAttempts:
		d.finish(e, StateDead, fmt.Sprintf("no success after %d attempt(s)", del.attemptsSinceReplay()), time.Time{})
	case time.Since(del.CreatedAt) >= d.conf().Retry.MaxAge:
		d.finish(e, StateDead, fmt.Sprintf("still failing %s after it was created", d.conf().Retry.MaxAge), time.Time{})
	default:
		d.finish(e, StatePending, "", time.Now().Add(d.backoff(del.attemptsSinceReplay(), retryAfter)))
	}
}

// finish stores the delivery's new state and updates the schedule.
func (d *Dispatcher) finish(e *entry, state DeliveryState, reason string, next time.Time) {
	del := e.del
	del.State = state
	del.Reason = reason
	del.NextAttemptAt = next
	if state == StateDead {
		del.DeadAt = time.Now()
		d.logger.Error("delivery dead-lettered",
			zap.String("webhook", del.WebhookName),
			zap.String("event", del.Event),
			zap.String("item_id", del.ItemID),
			zap.String("delivery_id", del.ID),
			zap.Int("attempt", len(del.Attempts)),
			zap.String("reason", reason))
	}
	if obs := d.conf().Observer; obs != nil {
		outcome := map[DeliveryState]string{StateDelivered: "delivered", StatePending: "retry", StateDead: "dead"}[state]
		var took time.Duration
		if n := len(del.Attempts); n > 0 {
			took = time.Duration(del.Attempts[n-1].Duration)
		}
		obs.Attempt(del.WebhookName, outcome, took)
	}

	rec := snapshot(del)
	if err := d.store.Update(rec); err != nil {
		d.logger.Error("recording delivery state failed",
			zap.String("delivery_id", del.ID), zap.String("state", string(state)), zap.Error(err))
	}
	done := state != StatePending
	if done {
		d.mu.Lock()
		delete(d.pending, del.ID)
		d.mu.Unlock()
	}
	d.sched.finish(e, done, next)
}

// attempt sends one POST and returns its record, and the receiver's
// Retry-After wait when it gave one.
func (d *Dispatcher) attempt(wh *Webhook, del *Delivery, body []byte) (Attempt, time.Duration) {
	ctx, cancel := context.WithTimeout(d.base, time.Duration(wh.Timeout))
	defer cancel()

	start := time.Now()
	a := Attempt{At: start}
	req, err := d.newRequest(ctx, wh, body, del.ID, start)
	if err != nil {
		a.Duration = Duration(time.Since(start))
		a.Error = err.Error()
		return a, 0
	}
	a.RequestHeaders = loggableHeaders(req.Header, wh)
	resp, err := d.send(req, wh, body)
	a.Duration = Duration(time.Since(start))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", time.Duration(wh.Timeout))
		}
		a.Error = err.Error()
		return a, 0
	}
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	a.Duration = Duration(time.Since(start))
	a.Status = resp.StatusCode
	a.ResponseExcerpt = strings.ToValidUTF8(string(excerpt), "\uFFFD")

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Error = fmt.Sprintf("status %d", resp.StatusCode)
		return a, parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return a, 0
}

// newRequest builds the POST to a webhook, signed when the webhook has
// signing secrets. id is the delivery id, or a fresh id for a validation
// call.
func (d *Dispatcher) newRequest(ctx context.Context, wh *Webhook, body []byte, id string, at time.Time) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building request: %v", redactURLError(err))
	}
	req.Header.Set("Content-Type", wh.ContentType())
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("webhook-id", id)
	if len(wh.keys) > 0 {
		ts, sig := signHeaders(wh.keys, id, at, body)
		req.Header.Set("webhook-timestamp", ts)
		req.Header.Set("webhook-signature", sig)
	}
	if wh.auth != nil {
		if err := wh.auth.apply(ctx, req); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// send sends a request and lets the authorization meet a challenge
// (digest) or refresh a rejected token (OAuth2) once.
func (d *Dispatcher) send(req *http.Request, wh *Webhook, body []byte) (*http.Response, error) {
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, redactURLError(err)
	}
	if resp.StatusCode != http.StatusUnauthorized || wh.auth == nil {
		return resp, nil
	}
	retry, err := wh.auth.retryAfter401(req, resp)
	if err != nil || retry == nil {
		if err != nil {
			d.logger.Warn("authorization could not meet the receiver's 401 challenge",
				zap.String("webhook", wh.Name), zap.Error(err))
		}
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	retry.Body = io.NopCloser(bytes.NewReader(body))
	retry.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	resp, err = d.client.Do(retry)
	if err != nil {
		return nil, redactURLError(err)
	}
	return resp, nil
}

// loggableHeaders returns the request headers for the delivery log, without
// those that carry a secret.
func loggableHeaders(h http.Header, wh *Webhook) map[string]string {
	secret := map[string]bool{"Authorization": true}
	if wh.auth != nil {
		for _, name := range wh.auth.SecretHeaders() {
			secret[name] = true
		}
	}
	out := make(map[string]string, len(h))
	for name, values := range h {
		if secret[http.CanonicalHeaderKey(name)] {
			out[name] = "[redacted]"
			continue
		}
		out[name] = strings.Join(values, ", ")
	}
	return out
}

// backoff returns the wait before the next attempt: exponential with up to
// 20% jitter, or the receiver's Retry-After when it asked for longer.
func (d *Dispatcher) backoff(attempts int, retryAfter time.Duration) time.Duration {
	wait := d.conf().Retry.InitialBackoff << min(attempts-1, 30)
	if wait <= 0 || wait > d.conf().Retry.MaxBackoff {
		wait = d.conf().Retry.MaxBackoff
	}
	wait += time.Duration(rand.Int64N(int64(wait)/5 + 1))
	if retryAfter > wait {
		wait = retryAfter
	}
	return min(wait, d.conf().Retry.MaxBackoff)
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

func (d *Dispatcher) logAttempt(del *Delivery, a *Attempt) {
	level := zap.InfoLevel
	msg := "delivery attempt succeeded"
	if a.Error != "" {
		level = zap.WarnLevel
		msg = "delivery attempt failed"
	}
	ce := d.logger.Check(level, msg)
	if ce == nil {
		return
	}
	fields := []zap.Field{
		zap.String("webhook", del.WebhookName),
		zap.String("event", del.Event),
		zap.String("item_id", del.ItemID),
		zap.String("delivery_id", del.ID),
		zap.Int("attempt", a.Number),
		zap.Int("status", a.Status),
		zap.Duration("duration", time.Duration(a.Duration)),
	}
	if a.Error != "" {
		fields = append(fields, zap.String("error", a.Error))
	}
	ce.Write(fields...)
}
