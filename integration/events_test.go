package integration

import (
	"fmt"
	"net/http"
	"testing"
)

// itemEventsSidecar starts a sidecar whose one event handler listens to the
// item events that WordPress writes produce.
func itemEventsSidecar(t *testing.T, w *wordPress) (*caddyServer, *receiver) {
	t.Helper()
	rc := newReceiver(t)
	c := startCaddy(t, caddyOptions{site: sidecarSite(w, fmt.Sprintf(`
event_handler content_sync {
	events item:added item:saved item:deleted item:moved
	url %s
}`, rc.URL("/events")))})
	return c, rc
}

// A post's life through the REST API (create, edit, trash, delete) reaches
// the event handler as item:added, item:saved and item:deleted for the id
// that WordPress gave the post.
func TestPostLifecycleFiresItemEvents(t *testing.T) {
	w := needWordPress(t)
	c, rc := itemEventsSidecar(t, w)

	created := w.rest(t, c.URL, "contributor", http.MethodPost, "/wp-json/wp/v2/posts",
		map[string]any{"title": "Spring launch", "content": "<p>Draft body.</p>", "status": "draft"})
	if created.Status != http.StatusCreated {
		t.Fatalf("create: status %d: %.300s", created.Status, created.Body)
	}
	id := postID(t, created)

	added := rc.waitFor(t, "item:added", isEvent("item:added", id))
	if got := str(added.JSON, "Item", "TemplateName"); got != "post" {
		t.Errorf("item:added Item.TemplateName = %q, want %q", got, "post")
	}
	if got := added.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("delivery Content-Type = %q, want application/json", got)
	}

	path := fmt.Sprintf("/wp-json/wp/v2/posts/%d", id)
	updated := w.rest(t, c.URL, "contributor", http.MethodPost, path, map[string]any{"title": "Spring launch (v2)"})
	if updated.Status != http.StatusOK {
		t.Fatalf("update: status %d: %.300s", updated.Status, updated.Body)
	}
	saved := rc.waitFor(t, "item:saved", isEvent("item:saved", id))
	changes, _ := field(saved.JSON, "Changes", "FieldChanges").([]any)
	foundTitle := false
	for _, ch := range changes {
		if str(ch, "FieldId") == "title" {
			foundTitle = true
			if got := str(ch, "Value"); got != "Spring launch (v2)" {
				t.Errorf("item:saved title change Value = %q, want %q", got, "Spring launch (v2)")
			}
		}
	}
	if !foundTitle {
		t.Errorf("item:saved Changes.FieldChanges has no FieldId \"title\": %s", saved.Body)
	}

	trashed := w.rest(t, c.URL, "contributor", http.MethodDelete, path, nil)
	if trashed.Status != http.StatusOK || str(trashed.object(t), "status") != "trash" {
		t.Fatalf("trash: status %d: %.300s", trashed.Status, trashed.Body)
	}
	rc.waitForCount(t, "item:deleted after the trash", 1, isEvent("item:deleted", id))

	deleted := w.rest(t, c.URL, "contributor", http.MethodDelete, path+"?force=true", nil)
	if deleted.Status != http.StatusOK || field(deleted.object(t), "deleted") != true {
		t.Fatalf("force delete: status %d: %.300s", deleted.Status, deleted.Body)
	}
	rc.waitForCount(t, "item:deleted after the forced delete", 2, isEvent("item:deleted", id))
}

// Giving a page another parent fires item:moved, with the new parent in
// Item.ParentId and the old one in OldParentID.
func TestPageMoveFiresItemMoved(t *testing.T) {
	w := needWordPress(t)
	c, rc := itemEventsSidecar(t, w)

	a := w.create(t, "editor", "pages", map[string]any{"title": "Docs", "status": "publish"})
	b := w.create(t, "editor", "pages", map[string]any{"title": "Guides", "status": "publish"})
	child := w.create(t, "editor", "pages", map[string]any{"title": "Install", "status": "draft", "parent": a})

	moved := w.rest(t, c.URL, "editor", http.MethodPost, fmt.Sprintf("/wp-json/wp/v2/pages/%d", child), map[string]any{"parent": b})
	if moved.Status != http.StatusOK {
		t.Fatalf("move: status %d: %.300s", moved.Status, moved.Body)
	}
	got := rc.waitFor(t, "item:moved", isEvent("item:moved", child))
	if v := str(got.JSON, "OldParentID"); v != fmt.Sprint(a) {
		t.Errorf("OldParentID = %q, want %q (page A)", v, fmt.Sprint(a))
	}
	if v := str(got.JSON, "Item", "ParentId"); v != fmt.Sprint(b) {
		t.Errorf("Item.ParentId = %q, want %q (page B)", v, fmt.Sprint(b))
	}
	if v := str(got.JSON, "Item", "TemplateName"); v != "page" {
		t.Errorf("Item.TemplateName = %q, want %q", v, "page")
	}
}
