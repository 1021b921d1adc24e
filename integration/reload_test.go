package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// tryEdit changes a post's title through base as the editor and reads the
// whole response, so the sidecar finishes the request. It returns errors
// instead of failing the test, for use outside the test's goroutine.
func tryEdit(w *wordPress, base string, id int, title string) (int, error) {
	body, err := json.Marshal(map[string]any{"title": title})
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", base, id), bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	login, pass, _ := strings.Cut(w.creds["editor"], ":")
	req.SetBasicAuth(login, pass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// goroutines reads the number of goroutines of the Caddy process from the
// admin API's profile, whose first line is "goroutine profile: total N".
func (c *caddyServer) goroutines(t *testing.T) int {
	t.Helper()
	resp := c.admin(t, http.MethodGet, "/debug/pprof/goroutine?debug=1")
	first, _, _ := bufio.NewReader(bytes.NewReader(resp.Body)).ReadLine()
	n, err := strconv.Atoi(strings.TrimPrefix(string(first), "goroutine profile: total "))
	if resp.Status != http.StatusOK || err != nil {
		t.Fatalf("goroutine profile: status %d, first line %q", resp.Status, first)
	}
	return n
}

// settledGoroutines waits for Caddy to settle and returns the lowest of a
// few goroutine counts, so that a connection being closed at the moment of
// one count does not look like a leak.
func (c *caddyServer) settledGoroutines(t *testing.T) int {
	t.Helper()
	time.Sleep(3 * time.Second) // beyond grace_period 2s
	lowest := c.goroutines(t)
	for range 4 {
		time.Sleep(250 * time.Millisecond)
		lowest = min(lowest, c.goroutines(t))
	}
	return lowest
}

// reload posts a Caddyfile to the admin API's /load and fails the test
// unless Caddy runs it.
func (c *caddyServer) reload(t *testing.T, caddyfile string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.adminURL("/load"), strings.NewReader(caddyfile))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/caddyfile")
	if resp := send(t, req); resp.Status != http.StatusOK {
		t.Fatalf("POST /load: status %d: %.500s", resp.Status, resp.Body)
	}
	// The new configuration's server takes over the listener, and the
	// old one closes its idle connections. A POST on one of those would
	// fail with EOF, because a client resends only idempotent requests.
	http.DefaultClient.CloseIdleConnections()
}

// Twenty reloads while editors keep saving lose no delivery: every edit
// for which WordPress returned 200 reaches the event handler. The reloads
// leave no goroutines behind.
func TestReloadsUnderLoadLoseNothing(t *testing.T) {
	w := needWordPress(t)
	rc := newReceiver(t)
	site := func(budget string) string {
		return sidecarSite(w, fmt.Sprintf(`
budget %s
event_handler reload_sync {
	events item:saved
	url %s
}`, budget, rc.URL("/events")))
	}
	c := startCaddy(t, caddyOptions{site: site("10s")})

	const editors = 2
	posts := make([]int, 2*editors)
	for i := range posts {
		posts[i] = w.create(t, "editor", "posts", map[string]any{"title": fmt.Sprintf("Reload %d", i), "status": "draft"})
	}

	// A first round of edits opens the connections that the load keeps
	// using, so the count before the reloads includes them.
	var mu sync.Mutex
	succeeded := map[string]int{}
	uncertain := map[string]int{}
	var failures []string
	for _, id := range posts {
		editTitle(t, w, c, id, "Reload warm-up")
		succeeded[strconv.Itoa(id)]++
	}
	rc.waitForCount(t, "warm-up deliveries", len(posts), func(r recorded) bool { return true })
	before := c.settledGoroutines(t)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for e := range editors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := posts[2*e+n%2]
				status, err := tryEdit(w, c.URL, id, fmt.Sprintf("Reload edit %d by editor %d", n, e))
				mu.Lock()
				if err == nil && status == http.StatusOK {
					succeeded[strconv.Itoa(id)]++
				} else {
					uncertain[strconv.Itoa(id)]++
					failures = append(failures, fmt.Sprintf("post %d: status %d, error %v", id, status, err))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range 20 {
		budget := "9s"
		if i%2 == 1 {
			budget = "10s"
		}
		c.reload(t, caddyfileFor(c.port, c.adminPort, site(budget)))
		time.Sleep(100 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	edits := 0
	for _, n := range succeeded {
		edits += n
	}
	if edits-len(posts) < 20 {
		t.Errorf("only %d edits returned 200 during the 20 reloads, so the reloads ran without load", edits-len(posts))
	}
	// An edit without a clear response may have fired a delivery too, so
	// the wait is for at least one delivery per edit that returned 200.
	deadline := time.Now().Add(deliveryWait)
	for {
		delivered := len(c.listDeliveries(t, "state=delivered&limit=10000"))
		pending := len(c.listDeliveries(t, "state=pending"))
		if delivered >= edits && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %d deliveries: %d delivered, %d pending", deliveryWait, edits, delivered, pending)
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := groupByWebhookID(rc.all())
	perPost := map[string]int{}
	for _, id := range got.ids {
		perPost[str(got.byID[id][0].JSON, "Item", "Id")]++
	}
	t.Logf("%d edits returned 200, %d failed or had an unread response; %d deliveries, %d duplicates", edits, len(failures), len(got.ids), got.duplicates())
	for _, f := range failures {
		t.Logf("edit failed or response unread: %s", f)
	}
	for _, id := range posts {
		key := strconv.Itoa(id)
		if perPost[key] < succeeded[key] || perPost[key] > succeeded[key]+uncertain[key] {
			t.Errorf("post %d: %d item:saved deliveries for %d edits that returned 200 (and %d that failed or had an unread response)", id, perPost[key], succeeded[key], uncertain[key])
		}
	}
	if left := c.listDeliveries(t, "state=pending"); len(left) != 0 {
		t.Errorf("%d deliveries still pending", len(left))
	}
	if dead := c.listDeliveries(t, "state=dead"); len(dead) != 0 {
		t.Errorf("%d deliveries dead", len(dead))
	}

	// A reload that leaked a dispatcher would leave its workers (16) or
	// at least one goroutine per reload behind.
	after := c.settledGoroutines(t)
	t.Logf("goroutines: %d before the reloads, %d after", before, after)
	if after > before+10 {
		t.Errorf("goroutines grew from %d to %d over 20 reloads", before, after)
	}
}
