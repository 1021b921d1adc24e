package sitecore_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/integration/sitecore"
)

// createInputReply matches the reply that starts a create pipeline and
// captures the pipeline ID.
var createInputReply = regexp.MustCompile(`^\{"commands":\[\{"command":"SetPipeline","value":"([0-9a-f]{32})"\},\{"command":"Input","value":"Enter a name for the new item:","response":"true"\}\]\}$`)

// addFromTemplateReply matches the reply that opens the dialog choosing a
// template and a name, and captures the pipeline ID.
var addFromTemplateReply = regexp.MustCompile(`^\{"commands":\[\{"command":"SetPipeline","value":"([0-9a-f]{32})"\},\{"command":"ShowModalDialog","value":"[^"]+AddFromTemplate","response":"true"\}\]\}$`)

func TestSheerItemCreate(t *testing.T) {
	article := bracedID(sitecore.NewsArticleTemplateID)
	cases := []struct {
		name, message, shown, parentID, parentPath string
		dialog                                     *regexp.Regexp
		result                                     string
	}{
		// A bare parent comes from __CurrentItem.
		{"addmaster", "item:addmaster(master=" + article + ")", sitecore.NewsID, sitecore.NewsID, "/sitecore/content/Home/News", createInputReply, "Ferry timetable"},
		// The id parameter wins over the item shown.
		{"new", "item:new(master=" + article + ",id=" + bracedID(sitecore.HomeID) + ")", sitecore.NewsID, sitecore.HomeID, "/sitecore/content/Home", createInputReply, "Ferry timetable"},
		// The dialog chooses the template too, and posts it before the name.
		{"addfromtemplate", "item:addfromtemplate(id=" + bracedID(sitecore.NewsID) + ")", sitecore.HomeID, sitecore.NewsID, "/sitecore/content/Home/News", addFromTemplateReply, article + ",Ferry timetable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, srv := startSheer(t)
			post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
			pipeline := openDialog(t, srv.URL, post, tc.dialog, tc.message, tc.shown)
			status, reply := post(continuationBody(pipeline, tc.result))
			mustReply(t, status, reply, refreshReply)
			noPending(t, e)

			it := mustItem(t, e, tc.parentPath+"/Ferry timetable")
			if it.ParentID != tc.parentID {
				t.Errorf("parent = %s, want %s", it.ParentID, tc.parentID)
			}
			if it.TemplateID != sitecore.NewsArticleTemplateID {
				t.Errorf("template = %s, want News Article %s", it.TemplateID, sitecore.NewsArticleTemplateID)
			}
			if versions := it.Versions["en"]; len(versions) != 1 || versions[0].Number != 1 {
				t.Fatalf("en versions = %+v, want version 1 only", versions)
			}
			if createdBy, _ := sitecore.Field(it.Versions["en"][0].Fields, "__Created by"); createdBy != editorUser {
				t.Errorf("__Created by = %q, want %q", createdBy, editorUser)
			}
			// News Article's template has the Sample Workflow.
			mustState(t, e, it.ID, "en", 1, sitecore.DraftStateID)
		})
	}
}

func TestSheerItemCreateCancelled(t *testing.T) {
	for _, answer := range []string{"cancel", "null", "undefined"} {
		t.Run(answer, func(t *testing.T) {
			e, srv := startSheer(t)
			post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
			pipeline := openDialog(t, srv.URL, post, createInputReply, "item:addmaster(master="+bracedID(sitecore.FolderTemplateID)+")", sitecore.HomeID)
			status, reply := post(continuationBody(pipeline, answer))
			mustReply(t, status, reply, emptyReply)
			noPending(t, e)
			if _, ok := e.Item("/sitecore/content/Home/" + answer); ok {
				t.Error("an item was created")
			}
		})
	}
}

func TestSheerItemCreateBadName(t *testing.T) {
	e, srv := startSheer(t)
	post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
	pipeline := openDialog(t, srv.URL, post, createInputReply, "item:addmaster(master="+bracedID(sitecore.FolderTemplateID)+")", sitecore.HomeID)

	// The alert comes with the dialog again, and the pipeline keeps waiting.
	status, reply := post(continuationBody(pipeline, "  "))
	want := `{"commands":[{"command":"Alert","value":"An item name cannot be blank."},{"command":"SetPipeline","value":"` + pipeline +
		`"},{"command":"Input","value":"Enter a name for the new item:","response":"true"}]}`
	mustReply(t, status, reply, want)
	if n := e.PendingPipelines(); n != 1 {
		t.Fatalf("%d pending pipelines, want 1", n)
	}

	status, reply = post(continuationBody(pipeline, "Archive"))
	mustReply(t, status, reply, refreshReply)
	noPending(t, e)
	if it := mustItem(t, e, "/sitecore/content/Home/Archive"); it.TemplateID != sitecore.FolderTemplateID {
		t.Errorf("template = %s, want Folder", it.TemplateID)
	}
}

func TestSheerItemCreateUnknownTemplate(t *testing.T) {
	e, srv := startSheer(t)
	post := func(body string) (int, string) { return postback(t, srv, contentEditorURL, editorToken, body) }
	missing := "{" + strings.ToUpper("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9") + "}"
	pipeline := openDialog(t, srv.URL, post, createInputReply, "item:addmaster(master="+missing+")", sitecore.HomeID)

	status, reply := post(continuationBody(pipeline, "Archive"))
	mustReply(t, status, reply, `{"commands":[{"command":"Alert","value":"The template `+missing+` was not found."}]}`)
	noPending(t, e)
	if _, ok := e.Item("/sitecore/content/Home/Archive"); ok {
		t.Error("an item was created")
	}
}
