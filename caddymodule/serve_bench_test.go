package caddymodule

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/wordpress"
	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// benchHandler returns a handler with one event handler on item:saved whose
// deliveries go to a receiver that discards them.
func benchHandler(b *testing.B) *Handler {
	b.Helper()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(receiver.Close)

	h := &Handler{
		Budget:      caddy.Duration(10 * time.Second),
		MaxBody:     defaultMaxBody,
		MaxResponse: defaultMaxResponse,
		EventHandlers: []*dispatch.Webhook{{
			Name:   "indexer",
			URL:    receiver.URL,
			Events: []string{dispatch.EventItemSaved},
		}},
		classifier: wordpress.New(wordpress.Config{}),
		logger:     zap.NewNop(),
	}
	if err := h.prepareWebhooks(); err != nil {
		b.Fatal(err)
	}
	d, err := dispatch.New(dispatch.Config{QueueSize: 1 << 20, Webhooks: h.webhooks()})
	if err != nil {
		b.Fatal(err)
	}
	h.dispatcher = d
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = h.dispatcher.Stop(ctx)
	})
	return h
}

// upstream stands in for reverse_proxy: it drains the request body and
// answers with a fixed body.
func upstream(status int, body []byte) caddyhttp.Handler {
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, err := w.Write(body)
		return err
	})
}

func BenchmarkServeHTTPNotAuthoring(b *testing.B) {
	h := benchHandler(b)
	next := upstream(http.StatusOK, []byte("<html>front page</html>"))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, "/2026/12/spring-launch/", nil)
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r, next); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkServeHTTPUpdate8KB(b *testing.B) {
	h := benchHandler(b)
	content := strings.Repeat("<p>Spring launch copy.</p>", 8<<10/26)
	reqBody := []byte(`{"title":"Spring launch","content":"` + content + `"}`)
	answer := []byte(`{"id":5,"status":"draft","type":"post","slug":"spring-launch","title":{"raw":"Spring launch"},"content":{"raw":"` + content + `"}}`)
	next := upstream(http.StatusOK, answer)
	b.SetBytes(int64(len(reqBody)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/wp-json/wp/v2/posts/5", bytes.NewReader(reqBody))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r, next); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpstreamOnly8KB is the baseline of BenchmarkServeHTTPUpdate8KB:
// the same request handled by the stand-in upstream alone.
func BenchmarkUpstreamOnly8KB(b *testing.B) {
	content := strings.Repeat("<p>Spring launch copy.</p>", 8<<10/26)
	reqBody := []byte(`{"title":"Spring launch","content":"` + content + `"}`)
	answer := []byte(`{"id":5,"status":"draft","type":"post","slug":"spring-launch","title":{"raw":"Spring launch"},"content":{"raw":"` + content + `"}}`)
	next := upstream(http.StatusOK, answer)
	b.SetBytes(int64(len(reqBody)))
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/wp-json/wp/v2/posts/5", bytes.NewReader(reqBody))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		if err := next.ServeHTTP(w, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidatedCommand measures a workflow command (draft to pending)
// whose validation action accepts it: the read of the post's status, the
// validation call, the forward and the queueing. It reports the p50 and
// p99 of the whole request and, as the baseline, of the validation call
// alone made by a plain HTTP client, so that their difference is what the
// sidecar adds to the validator's own latency.
func BenchmarkValidatedCommand(b *testing.B) {
	validator := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"IsValid":true,"Message":""}`))
	}))
	b.Cleanup(validator.Close)

	h := benchHandler(b)
	h.Workflows = []*dispatch.Workflow{{
		Name:     "editorial",
		States:   []*dispatch.State{{Key: "draft"}, {Key: "pending"}, {Key: "publish", Final: true}},
		Commands: []*dispatch.Command{{Name: "submit", From: "draft", To: "pending"}},
	}}
	h.ValidationActions = []*dispatch.Webhook{{Name: "legal", URL: validator.URL, Command: "submit"}}
	if err := h.prepareWebhooks(); err != nil {
		b.Fatal(err)
	}

	draft := []byte(`{"id":5,"status":"draft","type":"post","slug":"","title":{"raw":"Spring launch"}}`)
	pending := []byte(`{"id":5,"status":"pending","type":"post","slug":"","title":{"raw":"Spring launch"}}`)
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			_, err := w.Write(draft)
			return err
		}
		_, err := w.Write(pending)
		return err
	})

	client := &http.Client{}
	var total, alone []time.Duration
	for b.Loop() {
		start := time.Now()
		resp, err := client.Post(validator.URL, "application/json", strings.NewReader(`{}`))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		alone = append(alone, time.Since(start))

		r := httptest.NewRequest(http.MethodPost, "/wp-json/wp/v2/posts/5", strings.NewReader(`{"status":"pending"}`))
		r.Header.Set("Content-Type", "application/json")
		r.SetBasicAuth("contributor", "app-password")
		w := httptest.NewRecorder()
		start = time.Now()
		if err := h.ServeHTTP(w, r, next); err != nil {
			b.Fatal(err)
		}
		total = append(total, time.Since(start))
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	pct := func(d []time.Duration, p int) float64 {
		slices.Sort(d)
		return float64(d[len(d)*p/100].Microseconds())
	}
	b.ReportMetric(pct(total, 50), "p50-µs")
	b.ReportMetric(pct(total, 99), "p99-µs")
	b.ReportMetric(pct(alone, 50), "validator-p50-µs")
	b.ReportMetric(pct(alone, 99), "validator-p99-µs")
}
