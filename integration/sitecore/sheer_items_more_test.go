package sitecore_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/integration/sitecore"
)

var (
	// duplicateInputReply, selectItemReply and confirmVersionReply match the
	// replies that start the duplicate, move or copy, and delete version
	// pipelines, and capture the pipeline ID.
	duplicateInputReply = regexp.MustCompile(`^\{"commands":\[\{"command":"SetPipeline","value":"([0-9a-f]{32})"\},\{"command":"Input","value":"Enter a name for the new item:","response":"true"\}\]\}$`)
	selectItemReply     = regexp.MustCompile(`^\{"commands":\[\{"command":"SetPipeline","value":"([0-9a-f]{32})"\},\{"command":"ShowModalDialog","value":"/sitecore/shell/default\.aspx\?xmlcontrol=Sitecore\.Shell\.Applications\.Dialogs\.SelectItem","response":"true"\}\]\}$`)
	confirmVersionReply = regexp.MustCompile(`^\{"commands":\[\{"command":"SetPipeline","value":"([0-9a-f]{32})"\},\{"command":"Confirm","value":"Are you sure you want to delete this version\?","response":"true"\}\]\}$`)
)

// bracedID returns id as the dialogs return it: braced upper case.
func bracedID(id string) string { return "{" + strings.ToUpper(id) + "}" }

// mustItem returns the item at idOrPath.
func mustItem(t *testing.T, e *sitecore.Emulator, idOrPath string) sitecore.Item {
	t.Helper()
	it, ok := e.Item(idOrPath)
	if !ok {
		t.Fatalf("item %s is missing", idOrPath)
	}
	return it
}

// noPending fails if a pipeline still waits.
func noPending(t *testing.T, e *sitecore.Emulator) {
	t.Helper()
	if n := e.PendingPipelines(); n != 0 {
		t.Errorf("%d pending pipelines, want 0", n)
	}
}

func TestSheerItemDuplicate(t *testing.T) {
	e, srv := startSheer(t)
	post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
	// A bare item:duplicate works on the item shown, here News with its child.
	pipeline := openDialog(t, srv.URL, post, duplicateInputReply, "item:duplicate", sitecore.NewsID)
	status, reply := post(continuationBody(pipeline, "News archive"))
	mustReply(t, status, reply, refreshReply)
	noPending(t, e)

	dup := mustItem(t, e, "/sitecore/content/Home/News archive")
	if dup.ID == sitecore.NewsID || dup.ParentID != sitecore.HomeID {
		t.Errorf("copy has ID %s and parent %s; want a new ID below Home", dup.ID, dup.ParentID)
	}
	child := mustItem(t, e, "/sitecore/content/Home/News archive/harbour-festival")
	if child.ID == sitecore.HarbourFestivalID {
		t.Error("the copied child kept the original ID")
	}
	if headline, _ := sitecore.Field(child.Versions["en"][0].Fields, "Headline"); headline != "Harbour festival returns" {
		t.Errorf("copied Headline = %q, want Harbour festival returns", headline)
	}
	if it := mustItem(t, e, sitecore.HarbourFestivalID); it.Path != "/sitecore/content/Home/News/harbour-festival" {
		t.Errorf("original path = %q, want it unchanged", it.Path)
	}
}

func TestSheerItemDuplicateCancelled(t *testing.T) {
	for _, answer := range []string{"cancel", "null", "undefined"} {
		t.Run(answer, func(t *testing.T) {
			e, srv := startSheer(t)
			post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
			pipeline := openDialog(t, srv.URL, post, duplicateInputReply, "item:duplicate(id="+bracedID(sitecore.HarbourFestivalID)+")", sitecore.NewsID)
			status, reply := post(continuationBody(pipeline, answer))
			mustReply(t, status, reply, emptyReply)
			noPending(t, e)
			if _, ok := e.Item("/sitecore/content/Home/News/" + answer); ok {
				t.Error("a copy was created")
			}
		})
	}
}

func TestSheerItemDuplicateBadName(t *testing.T) {
	e, srv := startSheer(t)
	post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
	pipeline := openDialog(t, srv.URL, post, duplicateInputReply, "item:duplicate", sitecore.HarbourFestivalID)

	status, reply := post(continuationBody(pipeline, " "))
	want := `{"commands":[{"command":"Alert","value":"An item name cannot be blank."},{"command":"SetPipeline","value":"` + pipeline +
		`"},{"command":"Input","value":"Enter a name for the new item:","response":"true"}]}`
	mustReply(t, status, reply, want)
	// The Input dialog is open again, so a valid name now makes the copy.
	status, reply = post(continuationBody(pipeline, "harbour-festival-2"))
	mustReply(t, status, reply, refreshReply)
	mustItem(t, e, "/sitecore/content/Home/News/harbour-festival-2")
	noPending(t, e)
}

func TestSheerItemMoveTo(t *testing.T) {
	e, srv := startSheer(t)
	post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
	pipeline := openDialog(t, srv.URL, post, selectItemReply, "item:moveto(id="+bracedID(sitecore.HarbourFestivalID)+")", sitecore.NewsID)
	status, reply := post(continuationBody(pipeline, bracedID(sitecore.HomeID)))
	mustReply(t, status, reply, refreshReply)
	noPending(t, e)
	it := mustItem(t, e, sitecore.HarbourFestivalID)
	if it.Path != "/sitecore/content/Home/harbour-festival" || it.ParentID != sitecore.HomeID {
		t.Errorf("after the move: path %q, parent %s; want a child of Home", it.Path, it.ParentID)
	}
}

func TestSheerItemMoveToInvalidTarget(t *testing.T) {
	const unknown = "{0E4C4E32-5A1B-4F57-9D0C-7C2B1A6E9F10}"
	for _, tc := range []struct{ name, target, alert string }{
		{"unknown", unknown, "The target item " + unknown + " was not found."},
		{"itself", bracedID(sitecore.NewsID), "Item /sitecore/content/Home/News cannot be moved below itself."},
		{"below", bracedID(sitecore.HarbourFestivalID), "Item /sitecore/content/Home/News cannot be moved below itself."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, srv := startSheer(t)
			post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
			pipeline := openDialog(t, srv.URL, post, selectItemReply, "item:moveto", sitecore.NewsID)
			status, reply := post(continuationBody(pipeline, tc.target))
			mustReply(t, status, reply, `{"commands":[{"command":"Alert","value":"`+tc.alert+`"}]}`)
			noPending(t, e)
			if it := mustItem(t, e, sitecore.NewsID); it.ParentID != sitecore.HomeID {
				t.Errorf("News moved below %s", it.ParentID)
			}
		})
	}
}

func TestSheerItemCopyTo(t *testing.T) {
	e, srv := startSheer(t)
	post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
	pipeline := openDialog(t, srv.URL, post, selectItemReply, "item:copyto", sitecore.HarbourFestivalID)
	status, reply := post(continuationBody(pipeline, bracedID(sitecore.HomeID)))
	mustReply(t, status, reply, refreshReply)
	noPending(t, e)

	dup := mustItem(t, e, "/sitecore/content/Home/harbour-festival")
	if dup.ID == sitecore.HarbourFestivalID || dup.ParentID != sitecore.HomeID {
		t.Errorf("copy has ID %s and parent %s; want a new ID below Home", dup.ID, dup.ParentID)
	}
	if headline, _ := sitecore.Field(dup.Versions["en"][0].Fields, "Headline"); headline != "Harbour festival returns" {
		t.Errorf("copied Headline = %q, want Harbour festival returns", headline)
	}
	if it := mustItem(t, e, sitecore.HarbourFestivalID); it.ParentID != sitecore.NewsID {
		t.Errorf("the original moved below %s", it.ParentID)
	}
}

func TestSheerItemCopyToCancelled(t *testing.T) {
	e, srv := startSheer(t)
	post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
	pipeline := openDialog(t, srv.URL, post, selectItemReply, "item:copyto", sitecore.HarbourFestivalID)
	status, reply := post(continuationBody(pipeline, "undefined"))
	mustReply(t, status, reply, emptyReply)
	noPending(t, e)
	if _, ok := e.Item("/sitecore/content/Home/harbour-festival"); ok {
		t.Error("a copy was created")
	}
}

// addVersion gives Harbour festival an English version 2.
func addVersion(t *testing.T, srvURL string) {
	t.Helper()
	query := `mutation { addItemVersion(input: {path: "` + sitecore.HarbourFestivalID + `", baseVersionNumber: 1, language: "en", site: "harbour"}) { success } }`
	noErrors(t, graphQL(t, srvURL+sitecore.HorizonPath, map[string]any{"query": query}))
}

func versionNumbers(t *testing.T, e *sitecore.Emulator) []int {
	t.Helper()
	var numbers []int
	for _, v := range mustItem(t, e, sitecore.HarbourFestivalID).Versions["en"] {
		numbers = append(numbers, v.Number)
	}
	return numbers
}

func TestSheerItemDeleteVersion(t *testing.T) {
	for _, tc := range []struct {
		name, message string
		left          int
	}{
		// A bare message deletes the version shown (version 1 in currentItem).
		{"current", "item:deleteversion", 2},
		{"params", "item:deleteversion(id=" + bracedID(sitecore.HarbourFestivalID) + ",language=en,version=2)", 1},
		{"version only", "item:deleteversion(version=2)", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, srv := startSheer(t)
			addVersion(t, srv.URL)
			post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
			pipeline := openDialog(t, srv.URL, post, confirmVersionReply, tc.message, sitecore.HarbourFestivalID)
			status, reply := post(continuationBody(pipeline, "yes"))
			mustReply(t, status, reply, refreshReply)
			noPending(t, e)
			if got := versionNumbers(t, e); len(got) != 1 || got[0] != tc.left {
				t.Errorf("versions = %v, want [%d]", got, tc.left)
			}
		})
	}
}

func TestSheerItemDeleteVersionCancelled(t *testing.T) {
	for _, answer := range []string{"no", "cancel", "null"} {
		t.Run(answer, func(t *testing.T) {
			e, srv := startSheer(t)
			addVersion(t, srv.URL)
			post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
			pipeline := openDialog(t, srv.URL, post, confirmVersionReply, "item:deleteversion", sitecore.HarbourFestivalID)
			status, reply := post(continuationBody(pipeline, answer))
			mustReply(t, status, reply, emptyReply)
			noPending(t, e)
			if got := versionNumbers(t, e); len(got) != 2 {
				t.Errorf("versions = %v, want [1 2]", got)
			}
		})
	}
}
