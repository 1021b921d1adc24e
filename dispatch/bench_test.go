package dispatch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchPayload is the size of a typical item:saved payload of a short post.
var benchPayload = bytes.Repeat([]byte("x"), 1024)

func benchReceiver(b *testing.B, got *atomic.Int64) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkDurableDelivery measures deliveries per second from the bbolt
// queue to a loopback receiver: each delivery is stored, attempted, and
// recorded as delivered. 256 goroutines enqueue one delivery at a time, as
// 256 concurrent CMS requests would, for 64 items.
func BenchmarkDurableDelivery(b *testing.B) {
	var got atomic.Int64
	srv := benchReceiver(b, &got)
	store, err := OpenBoltStore(filepath.Join(b.TempDir(), "queue.db"))
	if err != nil {
		b.Fatal(err)
	}
	wh := &Webhook{Name: "bench", URL: srv.URL, Events: []string{EventItemSaved}}
	if err := wh.Prepare(KindEventHandler, nil); err != nil {
		b.Fatal(err)
	}
	d, err := New(Config{Store: store, Webhooks: []*Webhook{wh}, PerDestination: 64, Workers: 64})
	if err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	start := time.Now()
	// Requests enqueue concurrently, each with its own deliveries, as
	// concurrent CMS requests do.
	const enqueuers = 256
	var wg sync.WaitGroup
	per := b.N/enqueuers + 1
	for g := range enqueuers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				del := NewDelivery(wh, EventItemSaved, fmt.Sprintf("item-%d", (g*per+i)%64), benchPayload)
				if err := d.Enqueue(del); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for got.Load() < int64(enqueuers*per) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(enqueuers*per)/elapsed.Seconds(), "deliveries/s")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = d.Stop(ctx)
}

// BenchmarkDurableDrain measures how fast a backlog stored in the bbolt
// queue, as after an outage or a restart, is delivered to a loopback
// receiver.
func BenchmarkDurableDrain(b *testing.B) {
	var got atomic.Int64
	srv := benchReceiver(b, &got)
	path := filepath.Join(b.TempDir(), "queue.db")
	store, err := OpenBoltStore(path)
	if err != nil {
		b.Fatal(err)
	}
	wh := &Webhook{Name: "bench", URL: srv.URL, Events: []string{EventItemSaved}}
	if err := wh.Prepare(KindEventHandler, nil); err != nil {
		b.Fatal(err)
	}
	backlog := make([]*Delivery, b.N)
	for i := range backlog {
		backlog[i] = NewDelivery(wh, EventItemSaved, fmt.Sprintf("item-%d", i%64), benchPayload)
	}
	if err := store.Put(backlog); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	start := time.Now()
	d, err := New(Config{Store: store, Webhooks: []*Webhook{wh}, PerDestination: 64, Workers: 64})
	if err != nil {
		b.Fatal(err)
	}
	for got.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = d.Stop(ctx)
}

// BenchmarkRawClientLoop is the baseline of BenchmarkDurableDelivery: the
// same POSTs from 64 goroutines with a plain net/http client, no queue.
func BenchmarkRawClientLoop(b *testing.B) {
	var got atomic.Int64
	srv := benchReceiver(b, &got)
	client := newClient()

	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	per := b.N/64 + 1
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				resp, err := client.Post(srv.URL, ContentTypeJSON, bytes.NewReader(benchPayload))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(64*per)/time.Since(start).Seconds(), "deliveries/s")
}

// BenchmarkQueued100k measures the memory of 100,000 pending deliveries of
// 1 KiB in the bbolt queue while their receiver is down: the heap after a
// garbage collection, and the resident set of the whole test process
// (VmRSS), which includes the queue file's pages that bbolt mapped.
func BenchmarkQueued100k(b *testing.B) {
	const n = 100000
	for b.Loop() {
		down := httptest.NewServer(http.NotFoundHandler())
		url := down.URL
		down.Close() // a closed port: every attempt fails at once

		store, err := OpenBoltStore(filepath.Join(b.TempDir(), "queue.db"))
		if err != nil {
			b.Fatal(err)
		}
		wh := &Webhook{Name: "down", URL: url, Events: []string{EventItemSaved}}
		if err := wh.Prepare(KindEventHandler, nil); err != nil {
			b.Fatal(err)
		}
		d, err := New(Config{Store: store, Webhooks: []*Webhook{wh}, Retry: RetryPolicy{InitialBackoff: time.Hour, MaxBackoff: time.Hour}})
		if err != nil {
			b.Fatal(err)
		}
		batch := make([]*Delivery, 0, 1000)
		for i := range n {
			batch = append(batch, NewDelivery(wh, EventItemSaved, fmt.Sprintf("item-%d", i), benchPayload))
			if len(batch) == cap(batch) {
				if err := d.Enqueue(batch...); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		if p := d.Pending(); p != n {
			b.Fatalf("pending = %d, want %d", p, n)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(vmRSS()/(1<<20), "rss-MiB")

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = d.Stop(ctx)
		cancel()
	}
}

// vmRSS returns the resident set size of this process in bytes, from
// /proc/self/status, or 0 where that file does not exist.
func vmRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkEnqueueToFirstAttempt measures the time from Enqueue, which the
// handler calls once the CMS answered, to the receiver's first sight of
// the delivery, with the bbolt queue. Deliveries are enqueued one at a time
// and waited for, as after a single editor's save.
func BenchmarkEnqueueToFirstAttempt(b *testing.B) {
	seen := make(chan time.Time, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
		seen <- at
	}))
	b.Cleanup(srv.Close)
	store, err := OpenBoltStore(filepath.Join(b.TempDir(), "queue.db"))
	if err != nil {
		b.Fatal(err)
	}
	wh := &Webhook{Name: "bench", URL: srv.URL, Events: []string{EventItemSaved}}
	if err := wh.Prepare(KindEventHandler, nil); err != nil {
		b.Fatal(err)
	}
	d, err := New(Config{Store: store, Webhooks: []*Webhook{wh}})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = d.Stop(ctx)
	}()

	latencies := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if err := d.Enqueue(NewDelivery(wh, EventItemSaved, fmt.Sprintf("item-%d", i%8), benchPayload)); err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, (<-seen).Sub(start))
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds()), "p99-µs")
}
