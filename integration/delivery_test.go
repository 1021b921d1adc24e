package integration

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// respondWith makes the receiver respond to every request with status.
func (rc *receiver) respondWith(status int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.respond = func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }
}

// newReceiverAt starts a receiver on addr, a loopback address that the
// test reserved earlier and gave to Caddy while nothing listened on it.
func newReceiverAt(t *testing.T, addr string) *receiver {
	t.Helper()
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening again on %s: %v", addr, err)
	}
	rc := &receiver{}
	rc.srv = httptest.NewUnstartedServer(http.HandlerFunc(rc.serve))
	rc.srv.Listener.Close()
	rc.srv.Listener = listener
	rc.srv.Start()
	t.Cleanup(rc.srv.Close)
	return rc
}

// arrivals are recorded requests grouped by their webhook-id header. ids
// lists each id once, in the order of its first arrival.
type arrivals struct {
	ids   []string
	byID  map[string][]recorded
	total int
}

func groupByWebhookID(reqs []recorded) arrivals {
	a := arrivals{byID: map[string][]recorded{}, total: len(reqs)}
	for _, r := range reqs {
		id := r.Header.Get("webhook-id")
		if _, seen := a.byID[id]; !seen {
			a.ids = append(a.ids, id)
		}
		a.byID[id] = append(a.byID[id], r)
	}
	return a
}

// duplicates counts the requests beyond the first of each webhook-id.
func (a arrivals) duplicates() int {
	return a.total - len(a.ids)
}

// savedTitle returns the new title that an item:saved delivery reports.
func savedTitle(r recorded) string {
	changes, _ := field(r.JSON, "Changes", "FieldChanges").([]any)
	for _, ch := range changes {
		if str(ch, "FieldId") == "title" {
			return str(ch, "Value")
		}
	}
	return ""
}

// A receiver that is down while editors work gets every delivery once it
// is back. Each webhook-id that the delivery log lists arrives, and the
// deliveries of one post arrive in the order of its edits. None arrives
// twice, because no attempt reached the receiver before it was up.
func TestReceiverOutageLosesNoDelivery(t *testing.T) {
	w := needWordPress(t)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	// With waits of at most 1 s, 100 attempts outlast this outage many
	// times over.
	c := startCaddy(t, caddyOptions{site: sidecarSite(w, fmt.Sprintf(`
event_handler outage_sync {
	events item:saved
	url http://%s/events
}
delivery {
	backoff 100ms 1s
	max_attempts 100
}`, addr))})

	const posts, edits = 5, 30
	ids := make([]int, posts)
	for i := range ids {
		ids[i] = w.create(t, "editor", "posts", map[string]any{"title": fmt.Sprintf("Outage %d", i), "status": "draft"})
	}
	for n := range edits {
		editTitle(t, w, c, ids[n%posts], fmt.Sprintf("Outage edit %d", n))
	}

	// Only the first delivery of each post is attempted while it fails.
	// The outage lasts until each of these has failed 5 times, after
	// waits of 0.1, 0.2, 0.4 and 0.8 s (plus jitter), so the next wait is
	// the longest, 1 s.
	const failures = 5
	listed := c.waitListed(t, "webhook=outage_sync&state=pending&limit=1000", edits, deliveryWait)
	deadline := time.Now().Add(deliveryWait)
	for failedOften := 0; failedOften < posts; {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for the first delivery of each of %d posts to fail %d times; %d did", deliveryWait, posts, failures, failedOften)
		}
		time.Sleep(100 * time.Millisecond)
		failedOften = 0
		for _, d := range c.listDeliveries(t, "webhook=outage_sync&limit=1000") {
			if d.State == "delivered" {
				t.Fatalf("delivery %s is delivered while the receiver is down", d.ID)
			}
			if d.Attempts >= failures && d.LastError != "" {
				failedOften++
			}
		}
	}

	rc := newReceiverAt(t, addr)
	c.waitListed(t, "webhook=outage_sync&state=delivered&limit=1000", edits, 20*time.Second)

	got := groupByWebhookID(rc.all())
	want := map[string]bool{}
	for _, d := range listed {
		want[d.ID] = true
		if len(got.byID[d.ID]) == 0 {
			t.Errorf("delivery %s (item %s) never arrived", d.ID, d.ItemID)
		}
	}
	for _, id := range got.ids {
		if !want[id] {
			t.Errorf("webhook-id %q arrived but the delivery log does not list it", id)
		}
	}

	// Edit n sets the title "Outage edit n", so each post's titles must
	// arrive with n growing.
	lastEdit := map[string]int{}
	for _, id := range got.ids {
		r := got.byID[id][0]
		item := str(r.JSON, "Item", "Id")
		n, err := strconv.Atoi(strings.TrimPrefix(savedTitle(r), "Outage edit "))
		if err != nil {
			t.Errorf("delivery %s carries no title of an outage edit: %.300s", id, r.Body)
			continue
		}
		if last, ok := lastEdit[item]; ok && n < last {
			t.Errorf("post %s: edit %d arrived after edit %d", item, n, last)
		}
		lastEdit[item] = n
	}

	t.Logf("%d deliveries, %d requests, %d duplicates", len(got.ids), got.total, got.duplicates())
	if got.duplicates() != 0 {
		t.Errorf("%d duplicate requests; want none, because refused connections never reach the receiver and the receiver returns 200 to every attempt after the outage", got.duplicates())
	}
}

// kill -9 loses no queued delivery. Thousands of deliveries that a stuck
// receiver holds up are listed as pending, and the process is killed. A
// new Caddy on the same queue file then sends each of them under its
// webhook-id.
func TestKilledCaddyResendsQueuedDeliveries(t *testing.T) {
	w := needWordPress(t)
	queue := filepath.Join(t.TempDir(), "queue.db")
	// Each edit fires item:saved at every handler: 10 × 25 × 9 = 2250.
	const handlers, posts, rounds = 10, 25, 9
	const total = handlers * posts * rounds

	stuck := newReceiver(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stuck.mu.Lock()
	stuck.respond = func(rw http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		rw.WriteHeader(http.StatusServiceUnavailable)
	}
	stuck.mu.Unlock()

	config := func(rc *receiver) string {
		var b strings.Builder
		for i := range handlers {
			fmt.Fprintf(&b, "event_handler crash_sync_%d {\n\tevents item:saved\n\turl %s\n}\n", i, rc.URL(fmt.Sprintf("/hook/%d", i)))
		}
		fmt.Fprintf(&b, "delivery {\n\tqueue file %s\n}", queue)
		return sidecarSite(w, b.String())
	}
	first := startCaddy(t, caddyOptions{site: config(stuck)})

	ids := make([]int, posts)
	for i := range ids {
		ids[i] = w.create(t, "editor", "posts", map[string]any{"title": fmt.Sprintf("Crash %d", i), "status": "draft"})
	}
	for round := range rounds {
		var entries []string
		for _, id := range ids {
			entries = append(entries, fmt.Sprintf(`{"method":"POST","path":"/wp/v2/posts/%d","body":{"title":"Crash %d, round %d"}}`, id, id, round))
		}
		resp := w.rest(t, first.URL, "editor", http.MethodPost, "/wp-json/batch/v1", `{"requests":[`+strings.Join(entries, ",")+`]}`)
		responses, _ := field(resp.object(t), "responses").([]any)
		if resp.Status != http.StatusMultiStatus || len(responses) != posts {
			t.Fatalf("batch round %d: status %d with %d entries, want 207 with %d: %.300s", round, resp.Status, len(responses), posts, resp.Body)
		}
		for i, e := range responses {
			if s := field(e, "status"); fmt.Sprint(s) != "200" {
				t.Fatalf("batch round %d entry %d: status %v, want 200", round, i, s)
			}
		}
	}

	queued := first.waitListed(t, "state=pending&limit=10000", total, 30*time.Second)
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill -9: %v", err)
	}
	<-first.exited

	rc := newReceiver(t)
	second := startCaddy(t, caddyOptions{site: config(rc)})
	deadline := time.Now().Add(60 * time.Second)
	var got arrivals
	for {
		got = groupByWebhookID(rc.all())
		missing := 0
		for _, d := range queued {
			if len(got.byID[d.ID]) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart, %d of the %d deliveries queued before kill -9 have not arrived in 60s", missing, total)
		}
		time.Sleep(100 * time.Millisecond)
	}
	second.waitListed(t, "state=delivered&limit=10000", total, deliveryWait)
	if left := second.listDeliveries(t, "state=pending"); len(left) != 0 {
		t.Errorf("%d deliveries still pending after all arrived", len(left))
	}
	t.Logf("%d deliveries queued before kill -9, %d of them in flight to the stuck receiver; after the restart %d requests, %d distinct webhook-ids, %d duplicates",
		total, len(stuck.all()), got.total, len(got.ids), got.duplicates())
	if len(got.ids) != total {
		t.Errorf("%d distinct webhook-ids arrived after the restart, want the %d queued", len(got.ids), total)
	}
}

// A save fires item:saved even when the editor's browser leaves while the
// response is still on its way, because WordPress has changed the post
// all the same. The client reads the response headers and closes the
// connection, and its small receive buffer cannot hold the long response.
func TestClientLeavingEarlyStillFiresEvent(t *testing.T) {
	w := needWordPress(t)
	c, rc := itemEventsSidecar(t, w)
	// About 300 KB of content, which the response carries twice (raw and
	// rendered): far beyond the receive buffer, and below the sidecar's
	// max_response of 1 MiB.
	content := "<p>" + strings.Repeat("Long body of a post that an editor saved. ", 7000) + "</p>"
	id := w.create(t, "editor", "posts", map[string]any{"title": "Left early", "content": content, "status": "draft"})

	dialer := &net.Dialer{Control: func(network, address string, raw syscall.RawConn) error {
		var err error
		if cerr := raw.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}, Timeout: 30 * time.Second}
	req := w.newRequest(t, http.MethodPost, fmt.Sprintf("%s/wp-json/wp/v2/posts/%d", c.URL, id), "editor", strings.NewReader(`{"title":"Left early, saved"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	// Closing the body unread closes the connection.
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("save: status %d, want 200", resp.StatusCode)
	}

	// WordPress sends the status only after it has saved the post.
	read := w.rest(t, w.directURL, "editor", http.MethodGet, fmt.Sprintf("/wp-json/wp/v2/posts/%d?context=edit&_fields=title", id), nil)
	if got := str(read.object(t), "title", "raw"); got != "Left early, saved" {
		t.Fatalf("WordPress has title %q, want the saved one", got)
	}
	rc.waitFor(t, "item:saved of the save whose client left", isEvent("item:saved", id))
}
