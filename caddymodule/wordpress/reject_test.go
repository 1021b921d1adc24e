package wordpress_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/wordpress"
	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

const restContentType = "application/json; charset=UTF-8"

// TestRejectSendsRESTErrorShape pins the plain form of a rejection: the
// members of a WordPress REST error in WordPress's order, so that clients
// such as the block editor show the message.
func TestRejectSendsRESTErrorShape(t *testing.T) {
	c := wordpress.New(wordpress.Config{})
	ops := classify(c, call{method: "POST", target: "/wp-json/wp/v2/posts/5", contentType: jsonType, user: "editor", body: publishJSON})

	cases := []struct {
		name string
		ops  []*dispatch.Operation
		data map[string]any
		want string
	}{
		{
			name: "without data",
			ops:  ops,
			want: `{"code":"cms_webhooks_blocked","message":"Legal review rejected the post.","data":{"status":409}}`,
		},
		{
			name: "with webhook name",
			ops:  ops,
			data: map[string]any{"webhook": "legal-check"},
			want: `{"code":"cms_webhooks_blocked","message":"Legal review rejected the post.","data":{"status":409,"webhook":"legal-check"}}`,
		},
		{
			name: "before classification",
			want: `{"code":"cms_webhooks_blocked","message":"Legal review rejected the post.","data":{"status":409}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, contentType, body := c.Reject(tc.ops, http.StatusConflict, "Legal review rejected the post.", tc.data)
			if status != http.StatusConflict {
				t.Errorf("status = %d, want 409", status)
			}
			if contentType != restContentType {
				t.Errorf("Content-Type = %q, want %q", contentType, restContentType)
			}
			if string(body) != tc.want {
				t.Errorf("body = %s, want %s", body, tc.want)
			}
		})
	}
}

// TestRejectKeepsRequestedEnvelope pins that a request with _envelope gets
// its rejection as WordPress sends every enveloped response: HTTP 200 with
// the real status inside.
func TestRejectKeepsRequestedEnvelope(t *testing.T) {
	cases := []struct {
		name string
		call call
	}{
		{"enveloped post update", call{method: "POST", target: "/wp-json/wp/v2/posts/5?_envelope=1", contentType: jsonType, body: publishJSON}},
		{"enveloped batch", call{method: "POST", target: "/wp-json/batch/v1?_envelope", contentType: jsonType,
			body: `{"requests":[{"path":"/wp/v2/posts/5","body":{"status":"publish"}}]}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := wordpress.New(wordpress.Config{})
			tc.call.user = "editor"
			ops := classify(c, tc.call)
			if len(ops) == 0 {
				t.Fatal("Classify returned no operations")
			}

			status, contentType, body := c.Reject(ops, http.StatusConflict, "Blocked.", map[string]any{"webhook": "legal-check"})
			if status != http.StatusOK {
				t.Errorf("status = %d, want 200, as WordPress responds with an envelope", status)
			}
			if contentType != restContentType {
				t.Errorf("Content-Type = %q, want %q", contentType, restContentType)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body %s is not JSON: %v", body, err)
			}
			want := map[string]any{
				"status":  float64(409),
				"headers": map[string]any{},
				"body": map[string]any{
					"code":    "cms_webhooks_blocked",
					"message": "Blocked.",
					"data":    map[string]any{"status": float64(409), "webhook": "legal-check"},
				},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("body = %s, want %v", body, want)
			}
		})
	}
}

func TestRejectBatchEntryWithoutEnvelope(t *testing.T) {
	c := wordpress.New(wordpress.Config{})
	ops := classify(c, call{method: "POST", target: "/wp-json/batch/v1", contentType: jsonType, user: "editor",
		body: `{"requests":[{"path":"/wp/v2/posts/5?_envelope=1","body":{"status":"publish"}}]}`})
	if len(ops) != 1 {
		t.Fatalf("Classify returned %d operations, want 1", len(ops))
	}

	status, _, _ := c.Reject(ops, http.StatusConflict, "Blocked.", nil)
	if status != http.StatusConflict {
		t.Errorf("status = %d, want 409: _envelope in an entry's path does not wrap the batch response", status)
	}
}
