package wordpress_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/wordpress"
)

// addClassifySeeds adds the spellings of the recorded traffic, so that the
// fuzzer starts from requests that reach every step of the classifier.
func addClassifySeeds(f *testing.F) {
	batch := `{"requests":[{"method":"POST","path":"/wp/v2/posts/5","body":{"status":"publish"}},` +
		`{"path":"/wp/v2/pages/9?force=1","body":{"parent":8,"menu_order":3}}]}`
	seeds := []struct {
		method, target, contentType, override, body, response string
	}{
		{"POST", "/wp-json/wp/v2/posts", jsonType, "", `{"title":"Spring launch","status":"draft"}`, post(5, "draft", "")},
		{"POST", "/wp-json/wp/v2/posts/5", jsonType, "", `{"status":"pending"}`, post(5, "pending", "")},
		{"PATCH", "/wp-json/WP/V2/POSTS/0005/", "application/json; charset=UTF-8", "", `{"status":"draft","status":"publish"}`, post(5, "publish", "x")},
		{"POST", "/wp-json/wp/v2/posts/5", "", "DELETE", "", post(5, "trash", "x__trashed")},
		{"GET", "/?rest_route=/wp/v2/posts/5&_method=DELETE&force=true", "", "", "", `{"deleted":true,"previous":` + post(5, "draft", "") + `}`},
		{"POST", "/", formType, "", "rest_route=/wp/v2/posts/5&status=pending&status[]=x", post(5, "pending", "")},
		{"POST", "/wp-json/wp/v2/posts/5", multipartType, "", multipartStatus, post(5, "publish", "")},
		{"POST", "/wp-json/wp/v2/pages/9?_envelope=1", "application/merge-patch+json", "", `{"parent":8,"menu_order":3}`,
			`{"status":200,"headers":{},"body":` + page(9, "draft", "", "Install", 8, 3) + `}`},
		{"POST", "/wp-json/batch/v1", jsonType, "", batch, `{"responses":[{"status":403,"body":{}},{"status":200,"body":` + post(5, "draft", "") + `}]}`},
		{"POST", "/?rest.route=/batch/v1&_envelope", jsonType, "", batch, `{"status":207,"body":{"responses":[null]}}`},
		{"DELETE", "/index.php/wp-json/wp/v2/posts/13/revisions/14?force=true", "", "", "", `{"deleted":true}`},
		{"POST", "/wp-json/wp/v2/posts/13/autosaves", jsonType, "", `{"content":"v1 + typing"}`, `{"id":13}`},
		{"POST", "/wp-json/wp/v2/posts/5", jsonType, "", `{"status":"publish"`, ``},
		{"PUT", "/wp-json/wp/v2/posts/5", formType, "", "status=publish&title[raw]=x&%zz=1", `[]`},
		{"POST", "/wp-json/wp/v2/posts/5", "multipart/form-data; boundary=", "", "--\r\n", `null`},
		{"POST", "/wp-json/batch/v1?requests[][path]=/wp/v2/posts/6", formType, "",
			"requests[0][path]=/wp/v2/posts/5&requests[0][body][status]=publish&requests[][body][meta][a]=1", `{"responses":[]}`},
		{"PUT", "/wp-json/wp/v2/posts/5?_m%65thod=PATCH", "", "", "status=pending&title.raw=x", post(5, "pending", "")},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.contentType, s.override, []byte(s.body), []byte(s.response))
	}
}

// fuzzRequest builds a request from fuzzed parts, or returns nil when the
// target is not a request URI that a server would accept.
func fuzzRequest(method, target, contentType, override string, body []byte) *http.Request {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil
	}
	r := &http.Request{
		Method:     method,
		URL:        u,
		RequestURI: target,
		Header:     http.Header{},
		Host:       "127.0.0.1",
		Body:       io.NopCloser(strings.NewReader(string(body))),
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if override != "" {
		r.Header.Set("X-HTTP-Method-Override", override)
	}
	r.SetBasicAuth("editor", "abcd efgh ijkl mnop qrst uvwx")
	return r
}

// FuzzClassify runs every step of the classifier on arbitrary requests and
// responses: none may panic, and a rejection must stay valid JSON.
func FuzzClassify(f *testing.F) {
	addClassifySeeds(f)
	c := wordpress.New(wordpress.Config{})
	f.Fuzz(func(t *testing.T, method, target, contentType, override string, body, response []byte) {
		r := fuzzRequest(method, target, contentType, override, body)
		if r == nil {
			return
		}
		c.Candidate(r)
		c.BodyHasParams(r)
		ops := c.Classify(r, body)
		for _, op := range ops {
			if op == nil {
				t.Fatal("Classify returned a nil operation")
			}
			for _, l := range op.Lookups {
				if _, err := url.ParseRequestURI(l.Path); err != nil {
					t.Errorf("lookup path %q is not a request URI: %v", l.Path, err)
				}
				l.Apply(op, http.StatusOK, response)
			}
		}
		for _, status := range []int{http.StatusOK, http.StatusMultiStatus, http.StatusForbidden} {
			c.Complete(ops, status, nil, response)
		}

		status, contentType, rejected := c.Reject(ops, http.StatusConflict, string(body), map[string]any{"webhook": method})
		if status != http.StatusConflict && status != http.StatusOK {
			t.Errorf("Reject status = %d, want 409 or 200 (envelope)", status)
		}
		if !strings.HasPrefix(contentType, "application/json") {
			t.Errorf("Reject Content-Type = %q, want application/json", contentType)
		}
		if !json.Valid(rejected) {
			t.Errorf("Reject body is not valid JSON: %q", rejected)
		}
	})
}

// FuzzCandidateCoversStatusChange pins that Candidate lets no status change
// pass unread: a request whose buffered body Classify reads as a status
// change must be a candidate, or the handler would forward it without
// running the validation actions.
func FuzzCandidateCoversStatusChange(f *testing.F) {
	addClassifySeeds(f)
	c := wordpress.New(wordpress.Config{})
	f.Fuzz(func(t *testing.T, method, target, contentType, override string, body, _ []byte) {
		r := fuzzRequest(method, target, contentType, override, body)
		if r == nil {
			return
		}
		candidate := c.Candidate(r)
		for _, op := range c.Classify(r, body) {
			if op.StatusChange != nil && !candidate {
				t.Errorf("Candidate(%s %s) = false, but Classify reads a change to %q", method, target, op.StatusChange.ToState)
			}
		}
	})
}
