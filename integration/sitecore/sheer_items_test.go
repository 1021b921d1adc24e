package sitecore_test

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cmshooks/caddy-cms-webhooks/integration/sitecore"
)

var (
	// confirmDeleteReply and renameInputReply match the replies that start
	// the delete and rename pipelines, and capture the pipeline ID.
	confirmDeleteReply = regexp.MustCompile(`^\{"commands":\[\{"command":"SetPipeline","value":"([0-9a-f]{32})"\},\{"command":"Confirm","value":"Are you sure you want to delete this item\?","response":"true"\}\]\}$`)
	renameInputReply   = regexp.MustCompile(`^\{"commands":\[\{"command":"SetPipeline","value":"([0-9a-f]{32})"\},\{"command":"Input","value":"Enter a new name for the item:","response":"true"\}\]\}$`)
)

// currentItem is the __CurrentItem field of a Content Editor showing id.
func currentItem(id string) []string {
	return []string{"__CurrentItem", "sitecore://master/{" + strings.ToUpper(id) + "}?lang=en&ver=1",
		"__PrimaryItem", "sitecore://master/{" + strings.ToUpper(id) + "}?lang=en&ver=1"}
}

// openDialog posts message for the item shown and returns the pipeline ID
// that the reply, matched by re, sets.
func openDialog(t *testing.T, srv string, post func(body string) (int, string), re *regexp.Regexp, message, shown string) string {
	t.Helper()
	status, reply := post(commandBody(message, "", currentItem(shown)...))
	if status != 200 {
		t.Fatalf("status = %d (body %s), want 200", status, reply)
	}
	m := re.FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("%s on %s: reply = %s, want a dialog", message, srv, reply)
	}
	return m[1]
}

// startServer serves e on a loopback test server.
func startServer(t *testing.T, e *sitecore.Emulator) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

// lastUpdate returns __Updated and __Updated by of the latest English
// version of item id.
func lastUpdate(t *testing.T, e *sitecore.Emulator, id string) (string, string) {
	t.Helper()
	it, ok := e.Item(id)
	if !ok {
		t.Fatalf("item %s is missing", id)
	}
	versions := it.Versions["en"]
	fields := versions[len(versions)-1].Fields
	updated, _ := sitecore.Field(fields, "__Updated")
	updatedBy, _ := sitecore.Field(fields, "__Updated by")
	return updated, updatedBy
}

func TestSheerItemSave(t *testing.T) {
	for _, message := range []string{"item:save", "contenteditor:save"} {
		t.Run(message, func(t *testing.T) {
			now := fixedNow
			e := sitecore.NewEmulator(sitecore.Options{
				Tokens: map[string]string{editorToken: editorUser},
				Now:    func() time.Time { return now },
			})
			srv := startServer(t, e)
			now = fixedNow.Add(time.Hour)

			body := commandBody(message, "1", append(currentItem(sitecore.HarbourFestivalID), "FIELD412", "Harbour festival is back")...)
			status, reply := postback(t, srv, contentEditorURL, editorToken, body)
			mustReply(t, status, reply, refreshReply)
			updated, updatedBy := lastUpdate(t, e, sitecore.HarbourFestivalID)
			if updated != "20250314T101500Z" {
				t.Errorf("__Updated = %q, want 20250314T101500Z", updated)
			}
			if updatedBy != editorUser {
				t.Errorf("__Updated by = %q, want %q", updatedBy, editorUser)
			}
			it, _ := e.Item(sitecore.HarbourFestivalID)
			if headline, _ := sitecore.Field(it.Versions["en"][0].Fields, "Headline"); headline != "Harbour festival returns" {
				t.Errorf("Headline = %q, want it unchanged", headline)
			}
		})
	}
}

func TestSheerItemDelete(t *testing.T) {
	e, srv := startSheer(t)
	post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }

	// The tree's Delete key posts a bare item:delete for the item shown.
	pipeline := openDialog(t, srv.URL, post, confirmDeleteReply, "item:delete", sitecore.NewsID)
	status, reply := post(continuationBody(pipeline, "yes"))
	mustReply(t, status, reply, refreshReply)
	for _, id := range []string{sitecore.NewsID, sitecore.HarbourFestivalID} {
		if _, ok := e.Item(id); ok {
			t.Errorf("item %s still exists after the deletion", id)
		}
	}
	if _, ok := e.Item(sitecore.HomeID); !ok {
		t.Error("the parent Home was deleted too")
	}
	if n := e.PendingPipelines(); n != 0 {
		t.Errorf("%d pending pipelines, want 0", n)
	}
}

func TestSheerItemDeleteCancelled(t *testing.T) {
	for _, answer := range []string{"no", "cancel", "null", "undefined"} {
		t.Run(answer, func(t *testing.T) {
			e, srv := startSheer(t)
			post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
			// The id parameter takes precedence over the item shown.
			pipeline := openDialog(t, srv.URL, post, confirmDeleteReply, "item:delete(id={"+strings.ToUpper(sitecore.HarbourFestivalID)+"})", sitecore.HomeID)
			status, reply := post(continuationBody(pipeline, answer))
			mustReply(t, status, reply, emptyReply)
			if _, ok := e.Item(sitecore.HarbourFestivalID); !ok {
				t.Error("the item was deleted")
			}
			if n := e.PendingPipelines(); n != 0 {
				t.Errorf("%d pending pipelines, want 0", n)
			}
			// The pipeline is gone: a late "yes" changes nothing.
			status, reply = post(continuationBody(pipeline, "yes"))
			mustReply(t, status, reply, emptyReply)
			if _, ok := e.Item(sitecore.HarbourFestivalID); !ok {
				t.Error("the item was deleted by a second result")
			}
		})
	}
}

func TestSheerItemDeleteOtherSession(t *testing.T) {
	e, srv := startSheer(t)
	post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
	pipeline := openDialog(t, srv.URL, post, confirmDeleteReply, "item:delete", sitecore.HarbourFestivalID)

	status, reply := postback(t, srv, contentEditorURL, otherToken, continuationBody(pipeline, "yes"))
	mustReply(t, status, reply, emptyReply)
	if _, ok := e.Item(sitecore.HarbourFestivalID); !ok {
		t.Fatal("another session deleted the item")
	}
	status, reply = post(continuationBody(pipeline, "yes"))
	mustReply(t, status, reply, refreshReply)
	if _, ok := e.Item(sitecore.HarbourFestivalID); ok {
		t.Error("the item still exists")
	}
}

func TestSheerItemRename(t *testing.T) {
	e, srv := startSheer(t)
	post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
	pipeline := openDialog(t, srv.URL, post, renameInputReply, "item:rename(id={"+strings.ToUpper(sitecore.HarbourFestivalID)+"})", sitecore.NewsID)

	status, reply := post(continuationBody(pipeline, "Harbour festival 2025"))
	mustReply(t, status, reply, refreshReply)
	it, ok := e.Item(sitecore.HarbourFestivalID)
	if !ok {
		t.Fatal("the renamed item is missing")
	}
	if it.Name != "Harbour festival 2025" {
		t.Errorf("name = %q, want Harbour festival 2025", it.Name)
	}
	if it.Path != "/sitecore/content/Home/News/Harbour festival 2025" {
		t.Errorf("path = %q, want /sitecore/content/Home/News/Harbour festival 2025", it.Path)
	}
	if _, updatedBy := lastUpdate(t, e, sitecore.HarbourFestivalID); updatedBy != editorUser {
		t.Errorf("__Updated by = %q, want %q", updatedBy, editorUser)
	}
	if n := e.PendingPipelines(); n != 0 {
		t.Errorf("%d pending pipelines, want 0", n)
	}
}

func TestSheerItemRenameCancelled(t *testing.T) {
	for _, answer := range []string{"cancel", "null", "undefined"} {
		t.Run(answer, func(t *testing.T) {
			e, srv := startSheer(t)
			post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
			pipeline := openDialog(t, srv.URL, post, renameInputReply, "item:rename", sitecore.HarbourFestivalID)
			status, reply := post(continuationBody(pipeline, answer))
			mustReply(t, status, reply, emptyReply)
			if it, _ := e.Item(sitecore.HarbourFestivalID); it.Name != "harbour-festival" {
				t.Errorf("name = %q, want harbour-festival", it.Name)
			}
			if n := e.PendingPipelines(); n != 0 {
				t.Errorf("%d pending pipelines, want 0", n)
			}
		})
	}
}

func TestSheerItemRenameBadName(t *testing.T) {
	for _, tc := range []struct{ name, alert string }{
		{"", "An item name cannot be blank."},
		{"<b>news</b>", `Invalid item name \"<b>news</b>\": an item name cannot contain any of the characters \\/:?\"<>|[].`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, srv := startSheer(t)
			post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
			pipeline := openDialog(t, srv.URL, post, renameInputReply, "item:rename", sitecore.HarbourFestivalID)

			status, reply := post(continuationBody(pipeline, tc.name))
			want := `{"commands":[{"command":"Alert","value":"` + tc.alert + `"},{"command":"SetPipeline","value":"` + pipeline +
				`"},{"command":"Input","value":"Enter a new name for the item:","response":"true"}]}`
			mustReply(t, status, reply, want)
			if it, _ := e.Item(sitecore.HarbourFestivalID); it.Name != "harbour-festival" {
				t.Errorf("name = %q, want harbour-festival", it.Name)
			}
			// The Input dialog is open again, so a valid name now renames the item.
			status, reply = post(continuationBody(pipeline, "harbour-festival-2025"))
			mustReply(t, status, reply, refreshReply)
			if it, _ := e.Item(sitecore.HarbourFestivalID); it.Name != "harbour-festival-2025" {
				t.Errorf("name = %q, want harbour-festival-2025", it.Name)
			}
		})
	}
}
