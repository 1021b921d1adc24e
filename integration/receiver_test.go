package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// deliveryWait bounds every wait for an asynchronous delivery.
const deliveryWait = 10 * time.Second

// recorded is one request a receiver got.
type recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte

	// JSON is the body decoded with numbers kept as json.Number, or nil
	// when the body is not a JSON object.
	JSON map[string]any
}

// receiver is a webhook endpoint that records every request and responds
// with 200, or as its respond function writes.
type receiver struct {
	srv *httptest.Server

	mu      sync.Mutex
	got     []recorded
	respond func(w http.ResponseWriter, r *http.Request)
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	rec.JSON = decodeObject(body)
	rc.mu.Lock()
	rc.got = append(rc.got, rec)
	respond := rc.respond
	rc.mu.Unlock()
	if respond != nil {
		respond(w, r)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// URL returns the receiver's URL for a path.
func (rc *receiver) URL(path string) string {
	return rc.srv.URL + path
}

// all returns every request recorded so far.
func (rc *receiver) all() []recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]recorded(nil), rc.got...)
}

// matching returns the recorded requests that match.
func (rc *receiver) matching(match func(recorded) bool) []recorded {
	var out []recorded
	for _, r := range rc.all() {
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}

// waitFor polls until a recorded request matches, and fails the test when
// none does within deliveryWait.
func (rc *receiver) waitFor(t *testing.T, what string, match func(recorded) bool) recorded {
	t.Helper()
	return rc.waitForCount(t, what, 1, match)[0]
}

// waitForCount polls until n recorded requests match and returns them.
func (rc *receiver) waitForCount(t *testing.T, what string, n int, match func(recorded) bool) []recorded {
	t.Helper()
	deadline := time.Now().Add(deliveryWait)
	for {
		got := rc.matching(match)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %d × %s, got %d; all requests received:\n%s", deliveryWait, n, what, len(got), rc.dump())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dump lists the recorded requests for a failure message.
func (rc *receiver) dump() string {
	var b strings.Builder
	for i, r := range rc.all() {
		fmt.Fprintf(&b, "  #%d %s %s %s\n", i, r.Method, r.Path, r.Body)
	}
	if b.Len() == 0 {
		return "  (none)\n"
	}
	return b.String()
}

// validator is a validation action endpoint whose verdict each test sets.
type validator struct {
	*receiver
}

func newValidator(t *testing.T) *validator {
	v := &validator{receiver: newReceiver(t)}
	v.accept()
	return v
}

func (v *validator) setResponse(f func(w http.ResponseWriter, r *http.Request)) {
	v.mu.Lock()
	v.respond = f
	v.mu.Unlock()
}

// accept makes the validator return IsValid true.
func (v *validator) accept() {
	v.setResponse(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"IsValid": true, "Message": ""})
	})
}

// reject makes the validator return IsValid false with the message.
func (v *validator) reject(message string) {
	v.setResponse(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"IsValid": false, "Message": message})
	})
}

// slow accepts, but only after the delay, or gives up when the caller
// leaves.
func (v *validator) slow(delay time.Duration) {
	v.setResponse(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"IsValid": true, "Message": ""})
	})
}

// serverError makes the validator fail with 500 and a body that is not a
// verdict.
func (v *validator) serverError() {
	v.setResponse(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "internal error", http.StatusInternalServerError)
	})
}

// closedURL returns the URL of a loopback port that nothing listens on. The
// port comes from freePort, outside the range that httptest servers bind,
// so no other server of the run takes it.
func closedURL(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("http://127.0.0.1:%d/validate", freePort(t))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decodeObject decodes a JSON object with numbers kept as json.Number, so
// that a test can tell a string id from a numeric one. It returns nil for
// anything else.
func decodeObject(b []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil
	}
	return m
}

// field returns the value at a path of object keys, or nil.
func field(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// str returns the string at a path, or "" when it is missing or not a
// string.
func str(v any, path ...string) string {
	s, _ := field(v, path...).(string)
	return s
}

// isEvent matches an event handler delivery by event name and item id.
func isEvent(name string, itemID int) func(recorded) bool {
	return func(r recorded) bool {
		return str(r.JSON, "EventName") == name && str(r.JSON, "Item", "Id") == fmt.Sprint(itemID)
	}
}

// isAction matches a submit or validation action request by the id of
// its DataItem.
func isAction(itemID int) func(recorded) bool {
	return func(r recorded) bool {
		return str(r.JSON, "DataItem", "Id") == fmt.Sprint(itemID)
	}
}
