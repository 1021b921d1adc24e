package integration

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// comparedHeaders are the response headers that must be equal through the
// sidecar and straight from WordPress. Date changes by the second, and php
// -S echoes the request's Host, which the sidecar's address changes.
var comparedHeaders = []string{"Content-Type", "Content-Length", "Location", "Link", "X-Wp-Total", "Cache-Control", "Set-Cookie"}

// Traffic that is not a REST write (pages, static files, the login form,
// REST reads) comes back through the sidecar with the status, body and
// headers that WordPress sends without it.
func TestReadTrafficPassesUnchanged(t *testing.T) {
	w := needWordPress(t)
	rc := newReceiver(t)
	v := newValidator(t)
	// The sidecar listens on the site URL WordPress was installed with,
	// as in the deployment it is made for.
	c := startCaddy(t, caddyOptions{port: w.proxyPort, site: sidecarSite(w, fmt.Sprintf(`
%s
event_handler content_sync {
	events item:added item:saved item:deleted
	url %s
}
validation_action legal_check {
	command approve
	url %s
}`, editorialWorkflow, rc.URL("/events"), v.URL("/validate")))})

	id := w.create(t, "editor", "posts", map[string]any{"title": "Passing through", "content": "<p>Hello</p>", "status": "publish"})
	cases := []struct {
		name, path, role string
	}{
		{"front page", "/", ""},
		{"post by id", fmt.Sprintf("/?p=%d", id), ""},
		{"pretty permalink", "/passing-through/", ""},
		{"REST collection", "/wp-json/wp/v2/posts", ""},
		{"REST read in edit context", fmt.Sprintf("/wp-json/wp/v2/posts/%d?context=edit", id), "editor"},
		{"static asset", "/wp-includes/js/jquery/jquery.min.js", ""},
		{"login form", "/wp-login.php", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fetch := func(base string) *response {
				req := w.newRequest(t, http.MethodGet, base+tc.path, tc.role, nil)
				// WordPress redirects a request for another host to
				// its site URL, so the direct request names the
				// sidecar's host, as the proxied one does.
				req.Host = strings.TrimPrefix(c.URL, "http://")
				// Set explicitly, so the client hands over the bytes
				// as they came.
				req.Header.Set("Accept-Encoding", "gzip")
				return send(t, req)
			}
			first, second := fetch(w.directURL), fetch(w.directURL)
			if first.Status != second.Status || !bytes.Equal(first.Body, second.Body) {
				t.Skipf("two direct fetches differ (status %d and %d), so there is no stable response to compare", first.Status, second.Status)
			}
			proxied := fetch(c.URL)
			if proxied.Status != first.Status {
				t.Errorf("status %d through the sidecar, %d directly", proxied.Status, first.Status)
			}
			if !bytes.Equal(proxied.Body, first.Body) {
				t.Errorf("body differs: %d bytes through the sidecar, %d directly\nsidecar: %.200q\ndirect:  %.200q",
					len(proxied.Body), len(first.Body), proxied.Body, first.Body)
			}
			for _, h := range comparedHeaders {
				if got, want := proxied.Header.Values(h), first.Header.Values(h); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("header %s = %q through the sidecar, %q directly", h, got, want)
				}
			}
		})
	}
	if got := rc.all(); len(got) != 0 {
		t.Errorf("reads fired %d deliveries:\n%s", len(got), rc.dump())
	}
	if got := v.all(); len(got) != 0 {
		t.Errorf("reads called the validation action %d times", len(got))
	}
}

// upstreamRecorder is a fake WordPress. It records every request and
// responds to REST writes as WordPress does, with a post object.
type upstreamRecorder struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []recorded
}

func newUpstreamRecorder(t *testing.T) *upstreamRecorder {
	u := &upstreamRecorder{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.got = append(u.got, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		u.mu.Unlock()
		if !strings.Contains(r.URL.Path, "/wp-json/") && r.URL.Query().Get("rest_route") == "" {
			_, _ = io.WriteString(w, "0")
			return
		}
		status := http.StatusOK
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/posts") {
			status = http.StatusCreated
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"id":1,"type":"post","status":"draft","slug":"hello","title":{"raw":"Hello","rendered":"Hello"}}`)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// byCase returns the requests that carried the X-Case header value and
// the method, which leaves out the sidecar's own lookups (GETs).
func (u *upstreamRecorder) byCase(name, method string) []recorded {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []recorded
	for _, r := range u.got {
		if r.Header.Get("X-Case") == name && r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// The body and headers of a request reach the upstream byte for byte,
// whether the sidecar classified the request, passed it by, or found it
// too large to read.
func TestRequestBodyReachesUpstreamUnchanged(t *testing.T) {
	up := newUpstreamRecorder(t)
	rc := newReceiver(t)
	c := startCaddy(t, caddyOptions{site: fmt.Sprintf(`cms_webhooks {
	max_body 64KB
	event_handler content_sync {
		events item:added item:saved
		url %s
	}
}
reverse_proxy %s`, rc.URL("/events"), strings.TrimPrefix(up.srv.URL, "http://"))})

	var multipartBody bytes.Buffer
	mw := multipart.NewWriter(&multipartBody)
	_ = mw.WriteField("title", "Caf\u00e9 & more")
	_ = mw.WriteField("status", "draft")
	_ = mw.Close()
	large := `{"title":"Large","content":"` + strings.Repeat("<p>lorem ipsum</p>", 8000) + `"}`

	cases := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		chunked     bool

		// event is the event the request fires, or "".
		event string
	}{
		{name: "non-REST JSON", method: http.MethodPost, path: "/wp-admin/admin-ajax.php?action=heartbeat",
			contentType: "application/json", body: "{\"a\": [1, 2, 3],\n \"b\": \"caf\\u00e9\"}\n"},
		{name: "REST create JSON", method: http.MethodPost, path: "/wp-json/wp/v2/posts",
			contentType: "application/json; charset=utf-8",
			body:        "{ \"title\" : \"Caf\u00e9 \\\"quoted\\\"\",\n\t\"content\": \"<p>a &amp; b</p>\", \"status\":\"draft\" }  ", event: "item:added"},
		{name: "REST create chunked", method: http.MethodPost, path: "/wp-json/wp/v2/posts",
			contentType: "application/json", body: `{"title":"Chunked","status":"draft"}`, chunked: true, event: "item:added"},
		{name: "REST update form", method: http.MethodPost, path: "/wp-json/wp/v2/posts/1",
			contentType: "application/x-www-form-urlencoded", body: "title=Caf%C3%A9+%26+more&title=Second+wins", event: "item:saved"},
		{name: "REST update multipart", method: http.MethodPut, path: "/wp-json/wp/v2/posts/1",
			contentType: mw.FormDataContentType(), body: multipartBody.String()},
		{name: "REST create above max_body", method: http.MethodPost, path: "/wp-json/wp/v2/posts",
			contentType: "application/json", body: large},
		{name: "REST create above max_body chunked", method: http.MethodPost, path: "/wp-json/wp/v2/posts",
			contentType: "application/json", body: large, chunked: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				// A reader of unknown length makes the client send
				// the body chunked, without Content-Length.
				body = io.MultiReader(strings.NewReader(tc.body))
			}
			req, err := http.NewRequest(tc.method, c.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tc.contentType)
			req.Header.Set("X-Case", tc.name)
			req.Header.Set("X-Custom", "tab\tand  spaces")
			req.SetBasicAuth("editor", "abcd efgh ijkl mnop qrst uvwx")
			isCaseEvent := func(r recorded) bool {
				return tc.event != "" && str(r.JSON, "EventName") == tc.event && str(r.JSON, "Item", "Id") == "1"
			}
			before := len(rc.matching(isCaseEvent))
			resp := send(t, req)
			if resp.Status/100 != 2 {
				t.Fatalf("status %d: %.300s", resp.Status, resp.Body)
			}

			got := up.byCase(tc.name, tc.method)
			if len(got) != 1 {
				t.Fatalf("upstream got %d %s requests for the case, want 1", len(got), tc.method)
			}
			if !bytes.Equal(got[0].Body, []byte(tc.body)) {
				t.Errorf("upstream body differs from what the client sent:\nsent: %.200q (%d bytes)\ngot:  %.200q (%d bytes)",
					tc.body, len(tc.body), got[0].Body, len(got[0].Body))
			}
			for _, h := range []string{"Content-Type", "Authorization", "X-Custom"} {
				if g, want := got[0].Header.Get(h), req.Header.Get(h); g != want {
					t.Errorf("upstream header %s = %q, client sent %q", h, g, want)
				}
			}
			if tc.event != "" {
				rc.waitForCount(t, tc.event, before+1, isCaseEvent)
			}
		})
	}
}
