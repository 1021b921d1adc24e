package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// adminURL returns the URL of a path on the instance's admin API.
func (c *caddyServer) adminURL(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", c.adminPort, path)
}

// admin sends a request without a body to the admin API.
func (c *caddyServer) admin(t *testing.T, method, path string) *response {
	t.Helper()
	req, err := http.NewRequest(method, c.adminURL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	return send(t, req)
}

// deliveryFields are the members that the delivery log lists and shows
// alike.
type deliveryFields struct {
	ID        string    `json:"id"`
	Webhook   string    `json:"webhook"`
	Kind      string    `json:"kind"`
	Event     string    `json:"event"`
	ItemID    string    `json:"item_id"`
	CreatedAt time.Time `json:"created_at"`
	State     string    `json:"state"`
	Reason    string    `json:"reason"`
	Replays   int       `json:"replays"`
}

// listedDelivery is one entry of GET /cms_webhooks/deliveries.
type listedDelivery struct {
	deliveryFields
	Attempts   int    `json:"attempts"`
	LastStatus int    `json:"last_status"`
	LastError  string `json:"last_error"`
}

// shownDelivery is the response of GET /cms_webhooks/deliveries/<id>.
type shownDelivery struct {
	deliveryFields
	Attempts []shownAttempt  `json:"attempts"`
	Payload  json.RawMessage `json:"payload"`
}

type shownAttempt struct {
	Number         int               `json:"number"`
	Replay         bool              `json:"replay"`
	Status         int               `json:"status"`
	Error          string            `json:"error"`
	RequestHeaders map[string]string `json:"request_headers"`
}

// header returns a request header of the attempt, whatever its case.
func (a shownAttempt) header(name string) string {
	for k, v := range a.RequestHeaders {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// listDeliveries lists the delivery log with a query such as
// "state=dead&webhook=x".
func (c *caddyServer) listDeliveries(t *testing.T, query string) []listedDelivery {
	t.Helper()
	resp := c.admin(t, http.MethodGet, "/cms_webhooks/deliveries?"+query)
	if resp.Status != http.StatusOK {
		t.Fatalf("listing deliveries ?%s: status %d: %.300s", query, resp.Status, resp.Body)
	}
	var list []listedDelivery
	if err := json.Unmarshal(resp.Body, &list); err != nil {
		t.Fatalf("listing deliveries ?%s: %v: %.300s", query, err, resp.Body)
	}
	return list
}

// waitListed polls the delivery log until the query lists n deliveries,
// and fails the test when it does not within timeout.
func (c *caddyServer) waitListed(t *testing.T, query string, n int, timeout time.Duration) []listedDelivery {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		list := c.listDeliveries(t, query)
		if len(list) == n {
			return list
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %d deliveries listed by ?%s, got %d", timeout, n, query, len(list))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// showDelivery returns one delivery with its attempts and payload.
func (c *caddyServer) showDelivery(t *testing.T, id string) shownDelivery {
	t.Helper()
	resp := c.admin(t, http.MethodGet, "/cms_webhooks/deliveries/"+id)
	if resp.Status != http.StatusOK {
		t.Fatalf("showing delivery %s: status %d: %.300s", id, resp.Status, resp.Body)
	}
	var d shownDelivery
	if err := json.Unmarshal(resp.Body, &d); err != nil {
		t.Fatalf("showing delivery %s: %v: %.300s", id, err, resp.Body)
	}
	return d
}

// editTitle changes a post's title through the sidecar as the editor and
// fails the test unless WordPress returns 200.
func editTitle(t *testing.T, w *wordPress, c *caddyServer, id int, title string) {
	t.Helper()
	resp := w.rest(t, c.URL, "editor", http.MethodPost, fmt.Sprintf("/wp-json/wp/v2/posts/%d", id), map[string]any{"title": title})
	if resp.Status != http.StatusOK {
		t.Fatalf("editing post %d: status %d: %.300s", id, resp.Status, resp.Body)
	}
}

// The delivery log on the admin API lists deliveries by state, webhook and
// item, and shows one with its attempts and redacted credentials. It
// replays one, or every dead one, under the same webhook-id. It purges
// finished deliveries but never pending ones, and returns 400 or 404 for a
// wrong request.
func TestAdminAPIManagesDeliveryLog(t *testing.T) {
	w := needWordPress(t)
	search := newReceiver(t)
	crm := newReceiver(t)
	archive := newReceiver(t)
	crm.respondWith(http.StatusInternalServerError)
	archive.respondWith(http.StatusGone)
	const token = "admin-log-token-7f3c9a"
	c := startCaddy(t, caddyOptions{site: sidecarSite(w, fmt.Sprintf(`
authorization search_key {
	bearer %s
}
event_handler search_index {
	events item:saved
	url %s
	authorization search_key
}
event_handler crm_sync {
	events item:saved
	url %s
}
event_handler archive_feed {
	events item:saved
	url %s
}
delivery {
	max_attempts 2
	backoff 100ms 1s
}`, token, search.URL("/search"), crm.URL("/crm"), archive.URL("/archive")))})

	// RFC 3339 in the query has whole seconds, so the time is rounded
	// down to be before every death.
	beforeDeaths := time.Now().Add(-time.Second).UTC().Truncate(time.Second)
	a := w.create(t, "editor", "posts", map[string]any{"title": "Log A", "status": "draft"})
	b := w.create(t, "editor", "posts", map[string]any{"title": "Log B", "status": "draft"})
	editTitle(t, w, c, a, "Log A, first edit")
	editTitle(t, w, c, a, "Log A, second edit")
	editTitle(t, w, c, b, "Log B, first edit")

	c.waitListed(t, "state=delivered&webhook=search_index", 3, deliveryWait)
	c.waitListed(t, "state=dead&webhook=crm_sync", 3, deliveryWait)
	c.waitListed(t, "state=dead&webhook=archive_feed", 3, deliveryWait)

	t.Run("list filters", func(t *testing.T) {
		all := c.listDeliveries(t, "")
		if len(all) != 9 {
			t.Errorf("listing everything: %d deliveries, want 9", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i].CreatedAt.After(all[i-1].CreatedAt) {
				t.Errorf("listing is not newest first: %s (%s) after %s (%s)", all[i].ID, all[i].CreatedAt, all[i-1].ID, all[i-1].CreatedAt)
			}
		}
		itemA := c.listDeliveries(t, "item="+strconv.Itoa(a))
		if len(itemA) != 6 {
			t.Errorf("item=%d: %d deliveries, want 6 (two edits × three webhooks)", a, len(itemA))
		}
		for _, d := range itemA {
			if d.ItemID != strconv.Itoa(a) {
				t.Errorf("item=%d lists %s of item %q", a, d.ID, d.ItemID)
			}
		}
		if got := c.listDeliveries(t, fmt.Sprintf("item=%d&webhook=search_index", a)); len(got) != 2 {
			t.Errorf("item=%d&webhook=search_index: %d deliveries, want 2", a, len(got))
		}
		for _, d := range c.listDeliveries(t, "state=dead") {
			if d.Webhook == "search_index" || d.State != "dead" {
				t.Errorf("state=dead lists %s of %s in state %q", d.ID, d.Webhook, d.State)
			}
			if d.Reason == "" {
				t.Errorf("dead delivery %s has no reason", d.ID)
			}
		}
		if got := c.listDeliveries(t, "state=pending"); len(got) != 0 {
			t.Errorf("state=pending: %d deliveries, want none", len(got))
		}
		if got := c.listDeliveries(t, "limit=2"); len(got) != 2 {
			t.Errorf("limit=2: %d deliveries, want 2", len(got))
		}
	})

	// The delivery of B's edit to search_index is the one shown and
	// replayed.
	listed := c.listDeliveries(t, fmt.Sprintf("item=%d&webhook=search_index", b))
	if len(listed) != 1 {
		t.Fatalf("item=%d&webhook=search_index: %d deliveries, want 1", b, len(listed))
	}
	id := listed[0].ID

	t.Run("show one", func(t *testing.T) {
		resp := c.admin(t, http.MethodGet, "/cms_webhooks/deliveries/"+id)
		if strings.Contains(string(resp.Body), token) {
			t.Errorf("the delivery log shows the bearer token: %.500s", resp.Body)
		}
		d := c.showDelivery(t, id)
		if d.State != "delivered" || d.Webhook != "search_index" || d.Event != "item:saved" || d.ItemID != strconv.Itoa(b) {
			t.Errorf("delivery %s: state %q, webhook %q, event %q, item %q; want delivered, search_index, item:saved, %d", id, d.State, d.Webhook, d.Event, d.ItemID, b)
		}
		if len(d.Attempts) != 1 {
			t.Fatalf("delivery %s has %d attempts, want 1", id, len(d.Attempts))
		}
		at := d.Attempts[0]
		if at.Number != 1 || at.Status != http.StatusOK || at.Error != "" {
			t.Errorf("attempt: number %d, status %d, error %q; want 1, 200, none", at.Number, at.Status, at.Error)
		}
		if got := at.header("Authorization"); got != "[redacted]" {
			t.Errorf("attempt's Authorization header = %q, want [redacted]", got)
		}
		if got := at.header("webhook-id"); got != id {
			t.Errorf("attempt's webhook-id header = %q, want %s", got, id)
		}
		payload := decodeObject(d.Payload)
		if str(payload, "EventName") != "item:saved" || str(payload, "Item", "Id") != strconv.Itoa(b) {
			t.Errorf("payload is not the item:saved of post %d: %.300s", b, d.Payload)
		}
		got := search.matching(func(r recorded) bool { return r.Header.Get("webhook-id") == id })
		if len(got) != 1 || got[0].Header.Get("Authorization") != "Bearer "+token {
			t.Errorf("search_index received %d requests with webhook-id %s, want 1 with the bearer token", len(got), id)
		}
	})

	t.Run("replay one", func(t *testing.T) {
		resp := c.admin(t, http.MethodPost, "/cms_webhooks/deliveries/"+id+"/replay")
		if resp.Status != http.StatusAccepted {
			t.Fatalf("replay: status %d, want 202: %.300s", resp.Status, resp.Body)
		}
		search.waitForCount(t, "the replayed delivery", 2, func(r recorded) bool { return r.Header.Get("webhook-id") == id })
		d := waitShown(t, c, id, func(d shownDelivery) bool { return len(d.Attempts) == 2 && d.State == "delivered" })
		if at := d.Attempts[1]; at.Number != 2 || !at.Replay || at.Status != http.StatusOK {
			t.Errorf("attempt after the replay: number %d, replay %v, status %d; want 2, true, 200", at.Number, at.Replay, at.Status)
		}
		if d.Replays != 1 {
			t.Errorf("replays = %d, want 1", d.Replays)
		}
	})

	t.Run("replay dead since", func(t *testing.T) {
		future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
		resp := c.admin(t, http.MethodPost, "/cms_webhooks/replay?webhook=crm_sync&since="+future)
		if resp.Status != http.StatusAccepted || field(resp.object(t), "replayed") != json.Number("0") {
			t.Errorf("replay since an hour from now: status %d, body %s; want 202 and none replayed", resp.Status, resp.Body)
		}

		crm.respondWith(http.StatusOK)
		since := url.QueryEscape(beforeDeaths.Format(time.RFC3339))
		resp = c.admin(t, http.MethodPost, "/cms_webhooks/replay?webhook=crm_sync&since="+since)
		if resp.Status != http.StatusAccepted || field(resp.object(t), "replayed") != json.Number("3") {
			t.Fatalf("replay since %s: status %d, body %s; want 202 and 3 replayed", beforeDeaths.Format(time.RFC3339), resp.Status, resp.Body)
		}
		for _, d := range c.waitListed(t, "state=delivered&webhook=crm_sync", 3, deliveryWait) {
			detail := c.showDelivery(t, d.ID)
			if n := len(detail.Attempts); n != 3 || !detail.Attempts[2].Replay || detail.Attempts[2].Number != 3 {
				t.Errorf("replayed delivery %s: %d attempts, want 3 with the last marked replay: %+v", d.ID, n, detail.Attempts)
			}
			if got := crm.matching(func(r recorded) bool { return r.Header.Get("webhook-id") == d.ID }); len(got) != 3 {
				t.Errorf("crm_sync received webhook-id %s %d times, want 3 (two failures and the replay)", d.ID, len(got))
			}
		}
		if got := c.listDeliveries(t, "state=dead&webhook=archive_feed"); len(got) != 3 {
			t.Errorf("archive_feed: %d dead deliveries after a replay filtered to crm_sync, want 3", len(got))
		}
	})

	t.Run("purge", func(t *testing.T) {
		resp := c.admin(t, http.MethodDelete, "/cms_webhooks/deliveries?state=pending")
		if resp.Status != http.StatusBadRequest {
			t.Errorf("purging pending deliveries: status %d, want 400: %.300s", resp.Status, resp.Body)
		}
		resp = c.admin(t, http.MethodDelete, "/cms_webhooks/deliveries?state=dead")
		if resp.Status != http.StatusOK || field(resp.object(t), "purged") != json.Number("3") {
			t.Errorf("purging dead deliveries: status %d, body %s; want 200 and 3 purged", resp.Status, resp.Body)
		}
		resp = c.admin(t, http.MethodDelete, "/cms_webhooks/deliveries?state=delivered&webhook=search_index")
		if resp.Status != http.StatusOK || field(resp.object(t), "purged") != json.Number("3") {
			t.Errorf("purging search_index's delivered deliveries: status %d, body %s; want 200 and 3 purged", resp.Status, resp.Body)
		}
		if got := c.listDeliveries(t, ""); len(got) != 3 {
			t.Errorf("after the purges %d deliveries are listed, want crm_sync's 3", len(got))
		}
		if resp := c.admin(t, http.MethodGet, "/cms_webhooks/deliveries/"+id); resp.Status != http.StatusNotFound {
			t.Errorf("showing purged delivery %s: status %d, want 404", id, resp.Status)
		}
	})

	t.Run("errors", func(t *testing.T) {
		cases := []struct {
			method, path string
			want         int
		}{
			{http.MethodGet, "/cms_webhooks/deliveries/msg_0190c8e4-0000-7000-8000-000000000000", http.StatusNotFound},
			{http.MethodPost, "/cms_webhooks/deliveries/msg_0190c8e4-0000-7000-8000-000000000000/replay", http.StatusNotFound},
			{http.MethodGet, "/cms_webhooks/deliveries?state=lost", http.StatusBadRequest},
			{http.MethodDelete, "/cms_webhooks/deliveries?state=lost", http.StatusBadRequest},
			{http.MethodGet, "/cms_webhooks/deliveries?since=yesterday", http.StatusBadRequest},
			{http.MethodGet, "/cms_webhooks/deliveries?limit=0", http.StatusBadRequest},
			{http.MethodPost, "/cms_webhooks/replay", http.StatusBadRequest},
		}
		for _, tc := range cases {
			resp := c.admin(t, tc.method, tc.path)
			if resp.Status != tc.want {
				t.Errorf("%s %s: status %d, want %d: %.300s", tc.method, tc.path, resp.Status, tc.want, resp.Body)
			}
			if msg := str(decodeObject(resp.Body), "error"); msg == "" {
				t.Errorf("%s %s: no error message in %.300s", tc.method, tc.path, resp.Body)
			}
		}
	})
}

// waitShown polls one delivery until ok accepts it, and fails the test
// when it does not within deliveryWait.
func waitShown(t *testing.T, c *caddyServer, id string, ok func(shownDelivery) bool) shownDelivery {
	t.Helper()
	deadline := time.Now().Add(deliveryWait)
	for {
		d := c.showDelivery(t, id)
		if ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for delivery %s; last seen: %+v", deliveryWait, id, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metricLine matches a sample of the Prometheus text format: a name,
// optional labels in braces, and a value.
var metricLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)`)

// metricValue returns the value of the sample with the name and exactly
// the labels given.
func metricValue(text, name string, labels map[string]string) (float64, bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m := metricLine.FindStringSubmatch(sc.Text())
		if m == nil || m[1] != name {
			continue
		}
		got := map[string]string{}
		if m[2] != "" {
			for _, pair := range strings.Split(m[2], ",") {
				k, v, _ := strings.Cut(pair, "=")
				got[k] = strings.Trim(v, `"`)
			}
		}
		if len(got) != len(labels) {
			continue
		}
		match := true
		for k, v := range labels {
			if got[k] != v {
				match = false
			}
		}
		if match {
			f, err := strconv.ParseFloat(m[3], 64)
			return f, err == nil
		}
	}
	return 0, false
}

// With metrics on, the admin API's /metrics counts delivered and retried
// attempts per webhook, validation verdicts, and the queue depth.
func TestMetricsCountDeliveriesAndVerdicts(t *testing.T) {
	w := needWordPress(t)
	steady := newReceiver(t)
	flaky := newReceiver(t)
	// flaky fails the first attempt of each delivery once.
	failed := map[string]bool{}
	flaky.mu.Lock()
	flaky.respond = func(rw http.ResponseWriter, r *http.Request) {
		flaky.mu.Lock()
		first := !failed[r.Header.Get("webhook-id")]
		failed[r.Header.Get("webhook-id")] = true
		flaky.mu.Unlock()
		if first {
			rw.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		rw.WriteHeader(http.StatusOK)
	}
	flaky.mu.Unlock()
	v := newValidator(t)
	v.reject("Legal has not signed off")
	c := startCaddy(t, caddyOptions{global: "metrics", site: sidecarSite(w, fmt.Sprintf(`
%s
event_handler metrics_sync {
	events item:saved
	url %s
}
event_handler metrics_flaky {
	events item:saved
	url %s
}
validation_action metrics_legal {
	command approve
	url %s
}
delivery {
	backoff 100ms 1s
}`, editorialWorkflow, steady.URL("/steady"), flaky.URL("/flaky"), v.URL("/validate")))})

	id := w.create(t, "editor", "posts", map[string]any{"title": "Counted", "status": "draft"})
	for i := 1; i <= 3; i++ {
		editTitle(t, w, c, id, fmt.Sprintf("Counted, edit %d", i))
	}
	pending := w.pendingPost(t, "Blocked by legal")
	resp := w.rest(t, c.URL, "editor", http.MethodPost, fmt.Sprintf("/wp-json/wp/v2/posts/%d", pending), map[string]any{"status": "publish"})
	if resp.Status != http.StatusConflict {
		t.Fatalf("publish: status %d, want 409: %.300s", resp.Status, resp.Body)
	}
	c.waitListed(t, "state=delivered", 6, deliveryWait)

	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"caddy_cms_webhooks_deliveries_total", map[string]string{"outcome": "delivered", "webhook": "metrics_sync"}, 3},
		{"caddy_cms_webhooks_deliveries_total", map[string]string{"outcome": "delivered", "webhook": "metrics_flaky"}, 3},
		{"caddy_cms_webhooks_deliveries_total", map[string]string{"outcome": "retry", "webhook": "metrics_flaky"}, 3},
		{"caddy_cms_webhooks_attempt_duration_seconds_count", map[string]string{"webhook": "metrics_flaky"}, 6},
		{"caddy_cms_webhooks_validation_verdicts_total", map[string]string{"verdict": "invalid", "webhook": "metrics_legal"}, 1},
		{"caddy_cms_webhooks_validation_duration_seconds_count", map[string]string{"webhook": "metrics_legal"}, 1},
		{"caddy_cms_webhooks_queue_depth", nil, 0},
		{"caddy_cms_webhooks_oldest_pending_age_seconds", nil, 0},
	}

	// The delivery log can show the last delivery a moment before the
	// queue depth drops, so the metrics are read until they settle.
	var text string
	var mismatches []string
	deadline := time.Now().Add(deliveryWait)
	for {
		metrics := c.admin(t, http.MethodGet, "/metrics")
		if metrics.Status != http.StatusOK {
			t.Fatalf("GET /metrics: status %d: %.300s", metrics.Status, metrics.Body)
		}
		text, mismatches = string(metrics.Body), nil
		for _, check := range checks {
			got, ok := metricValue(text, check.name, check.labels)
			switch {
			case !ok:
				mismatches = append(mismatches, fmt.Sprintf("/metrics has no %s%v", check.name, check.labels))
			case got != check.want:
				mismatches = append(mismatches, fmt.Sprintf("%s%v = %v, want %v", check.name, check.labels, got, check.want))
			}
		}
		if len(mismatches) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, m := range mismatches {
		t.Error(m)
	}
	if _, ok := metricValue(text, "caddy_cms_webhooks_deliveries_total", map[string]string{"outcome": "retry", "webhook": "metrics_sync"}); ok {
		t.Errorf("metrics_sync, which never failed, has a retry count")
	}
	if t.Failed() {
		var ours []string
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "caddy_cms_webhooks_") {
				ours = append(ours, line)
			}
		}
		t.Logf("the module's samples:\n%s", strings.Join(ours, "\n"))
	}
}
