package wordpress_test

import (
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/wordpress"
)

// TestRarerSpellingsClassifyAlike pins spellings of a status change that
// WordPress 6.1 applied (each checked on the Debian package 6.1.9): the
// post's status changed. A spelling that escapes Candidate or Classify
// bypasses the validation actions.
func TestRarerSpellingsClassifyAlike(t *testing.T) {
	cases := []struct {
		name string
		call call
	}{
		// WP_REST_Request::parse_body_params reads the body of a request
		// whose method is not POST as a form when the Content-Type is
		// missing ("for maximum compatibility") or has no slash.
		{"PUT form body without Content-Type", call{method: "PUT", target: "/wp-json/wp/v2/posts/61", body: "status=publish"}},
		{"PATCH form body, type without slash", call{method: "PATCH", target: "/wp-json/wp/v2/posts/61", contentType: "form", body: "status=publish"}},
		{"POST overridden to PUT, untyped form", call{method: "POST", target: "/wp-json/wp/v2/posts/61",
			header: map[string]string{overrideHeader: "PUT"}, body: "status=publish"}},

		// PHP decodes percent-encoded letters in query names.
		{"percent-encoded rest_route name", call{method: "POST", target: "/?rest_rout%65=/wp/v2/posts/61", contentType: jsonType, body: publishJSON}},
		{"percent-encoded _method name", call{method: "GET", target: "/wp-json/wp/v2/posts/61?_m%65thod=POST&status=publish"}},

		// The batch endpoint reads requests from any parameter source,
		// and PHP parses bracketed form names into nested arrays.
		{"form-encoded batch", call{method: "POST", target: "/wp-json/batch/v1", contentType: formType,
			body: "requests%5B0%5D%5Bpath%5D=%2Fwp%2Fv2%2Fposts%2F61&requests%5B0%5D%5Bbody%5D%5Bstatus%5D=publish"}},

		// wp_is_json_media_type's character class [\w!#\$&-\^\.\+] contains
		// the range from & to ^, which includes '='.
		{"JSON subtype with equals sign", call{method: "POST", target: "/wp-json/wp/v2/posts/61", contentType: "application/vnd.a=b+json", body: publishJSON}},
	}
	c := wordpress.New(wordpress.Config{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.call.user = "editor"
			if !c.Candidate(tc.call.request()) {
				t.Errorf("Candidate(%s %s) = false, want true", tc.call.method, tc.call.target)
			}
			ops := classify(c, tc.call)
			if len(ops) != 1 {
				t.Fatalf("Classify returned %d operations, want 1", len(ops))
			}
			if got := ops[0].StatusChange; got == nil || got.ToState != "publish" || ops[0].Item.ID != "61" {
				t.Errorf("operation = item %q, change %+v; want post 61 to publish", ops[0].Item.ID, got)
			}
		})
	}
}

// TestJSONNullStatusMeansDraft pins what WordPress 6.1 does with a JSON
// null status (checked on the Debian package 6.1.9): sanitize_key turns it
// into "", which wp_insert_post stores as "draft", so a published post is
// unpublished. A status in the query does not count.
func TestJSONNullStatusMeansDraft(t *testing.T) {
	cases := []struct {
		name   string
		target string
	}{
		{"null status alone", "/wp-json/wp/v2/posts/61"},
		{"null status over query", "/wp-json/wp/v2/posts/61?status=publish"},
	}
	c := wordpress.New(wordpress.Config{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ops := classify(c, call{method: "POST", target: tc.target, contentType: jsonType, user: "editor", body: `{"status":null}`})
			if len(ops) != 1 {
				t.Fatalf("Classify returned %d operations, want 1", len(ops))
			}
			if got := ops[0].StatusChange; got == nil || got.ToState != "draft" {
				t.Errorf("StatusChange = %+v, want ToState draft", got)
			}
		})
	}
}
