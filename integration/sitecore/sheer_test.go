package sitecore_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/cmshooks/caddy-cms-webhooks/integration/sitecore"
)

const (
	contentEditorURL = "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1"
	workboxURL       = "/sitecore/shell/Applications/Workbox.aspx?mo=fs"

	// Expected response bodies, compared byte for byte.
	refreshReply      = `{"commands":[{"command":"Eval","value":"scForm.postRequest('','','','item:refresh')"}]}`
	stateChangedReply = `{"commands":[{"command":"Alert","value":"The item has been moved to a different workflow state. Sitecore will therefore reload the item."},{"command":"Eval","value":"scForm.postRequest('','','','item:refresh')"}]}`
	workboxRefresh    = `{"command":"SetLocation","value":"/sitecore/shell/Applications/Workbox.aspx?mo=fs&reload=1"}`
	emptyReply        = `{"commands":[]}`
)

const (
	otherToken = "other-token"
	otherUser  = `sitecore\reviewer`
)

// startSheer starts an emulator with two editors, each with a session cookie.
func startSheer(t *testing.T) (*sitecore.Emulator, *httptest.Server) {
	t.Helper()
	e := sitecore.NewEmulator(sitecore.Options{
		Tokens: map[string]string{editorToken: editorUser, otherToken: otherUser},
		Now:    func() time.Time { return fixedNow },
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return e, srv
}

// commentDialogReply matches the start of a client pipeline with the
// workflow comment dialog and captures the pipeline ID.
var commentDialogReply = regexp.MustCompile(`^\{"commands":\[\{"command":"SetPipeline","value":"([0-9a-f]{32})"\},\{"command":"ShowModalDialog","value":"/sitecore/shell/default\.aspx\?xmlcontrol=WorkflowComment","response":"true"\}\]\}$`)

// jsEscape encodes s as JavaScript's escape() does, which the Sheer UI
// client uses for __PARAMETERS.
func jsEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80 && (r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("@*_+-./", r)):
			b.WriteRune(r)
		case r <= 0xFF:
			fmt.Fprintf(&b, "%%%02X", r)
		default:
			for _, unit := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&b, "%%u%04X", unit)
			}
		}
	}
	return b.String()
}

// encodeURIComponent encodes s as JavaScript's encodeURIComponent() does,
// which the client uses for page controls, __RESULT and __PIPELINE.
func encodeURIComponent(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// commandBody builds the body of a button's postback in the order the Sheer
// UI client posts it: __PARAMETERS, the event fields, then page controls.
func commandBody(message, modified string, controls ...string) string {
	body := "&__PARAMETERS=" + jsEscape(message) +
		"&__EVENTTARGET=B7F3&__EVENTARGUMENT=&__SOURCE=&__EVENTTYPE=click&__CONTEXTMENU=" +
		"&__MODIFIED=" + modified + "&__ISEVENT=1" +
		"&__CSRFTOKEN=8d41f0c2e7b94a6f9c3d5e1a2b7c8d90"
	for i := 0; i+1 < len(controls); i += 2 {
		body += "&" + controls[i] + "=" + encodeURIComponent(controls[i+1])
	}
	return body
}

// continuationBody builds the postback that carries a dialog result.
func continuationBody(pipeline, result string) string {
	return "&__RESULT=" + encodeURIComponent(result) + "&__PIPELINE=" + encodeURIComponent(pipeline) +
		"&__CSRFTOKEN=8d41f0c2e7b94a6f9c3d5e1a2b7c8d90&FIELD412=" + encodeURIComponent("Opening hours")
}

func itemWorkflow(itemID, lang, version, command, ui, suppress string) string {
	return "item:workflow(id={" + strings.ToUpper(itemID) + "},language=" + lang + ",version=" + version +
		",commandid={" + strings.ToUpper(command) + "},workflowid={" + strings.ToUpper(sitecore.SampleWorkflowID) +
		"},ui=" + ui + ",suppresscomment=" + suppress + ")"
}

func workflowSend(itemID, lang, version, command, ui, suppress string) string {
	return "workflow:send(id={" + strings.ToUpper(itemID) + "},la=" + lang + ",vs=" + version +
		",command={" + strings.ToUpper(command) + "},wf={" + strings.ToUpper(sitecore.SampleWorkflowID) +
		"},ui=" + ui + ",suppresscomment=" + suppress + ")"
}

// postback posts a form body with the session cookie of token ("" sends
// none) and returns the status and the body.
func postback(t *testing.T, srv *httptest.Server, path, token, body string) (int, string) {
	t.Helper()
	header := map[string]string{
		"Authorization": "",
		"Content-Type":  "application/x-www-form-urlencoded",
		"lastCached":    "Thu, 04 Dec 2025 09:12:44 GMT",
	}
	if token != "" {
		header["Cookie"] = ".AspNet.Cookies=" + token + "; ASP.NET_SessionId=s1"
	}
	resp, data := send(t, http.MethodPost, srv.URL+path, body, header)
	return resp.StatusCode, string(data)
}

// mustReply checks for a 200 with an exact body.
func mustReply(t *testing.T, status int, body, want string) {
	t.Helper()
	if status != http.StatusOK {
		t.Fatalf("status = %d (body %s), want 200", status, body)
	}
	if body != want {
		t.Fatalf("body = %s\nwant   %s", body, want)
	}
}

// startPipeline posts a first POST that must open the comment dialog and
// returns the pipeline ID.
func startPipeline(t *testing.T, srv *httptest.Server, path, body string) string {
	t.Helper()
	status, reply := postback(t, srv, path, editorToken, body)
	if status != http.StatusOK {
		t.Fatalf("status = %d (body %s), want 200", status, reply)
	}
	m := commentDialogReply.FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("body = %s, want SetPipeline and the comment dialog", reply)
	}
	return m[1]
}

func mustState(t *testing.T, e *sitecore.Emulator, id, lang string, version int, want string) {
	t.Helper()
	state, ok := e.WorkflowState(id, lang, version)
	if !ok {
		t.Fatalf("item %s %s #%d has no workflow state, want %s", id, lang, version, want)
	}
	if state.ID != want {
		t.Fatalf("state of %s %s #%d = %s (%s), want %s", id, lang, version, state.ID, state.Name, want)
	}
}

// createArticle adds a News Article below News, in Draft, and returns its ID.
func createArticle(t *testing.T, e *sitecore.Emulator, srv *httptest.Server, name string) string {
	t.Helper()
	body := `{"ItemName":"` + name + `","TemplateID":"` + sitecore.NewsArticleTemplateID + `"}`
	resp, data := send(t, http.MethodPost, srv.URL+"/sitecore/api/ssc/item/sitecore%2Fcontent%2FHome%2FNews?database=master&language=en", body, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating %s: status %d, body %s", name, resp.StatusCode, data)
	}
	it, ok := e.Item("/sitecore/content/Home/News/" + name)
	if !ok {
		t.Fatalf("item %s missing after create", name)
	}
	mustState(t, e, it.ID, "en", 1, sitecore.DraftStateID)
	return it.ID
}

func TestSheerRequiresSessionCookie(t *testing.T) {
	e, srv := startSheer(t)
	body := commandBody(itemWorkflow(sitecore.HarbourFestivalID, "en", "1", sitecore.SubmitCommandID, "1", "1"), "")
	for _, token := range []string{"", "unknown-token"} {
		if status, reply := postback(t, srv, contentEditorURL, token, body); status != http.StatusUnauthorized {
			t.Errorf("token %q: reply = %d %s, want 401", token, status, reply)
		}
	}
	mustState(t, e, sitecore.HarbourFestivalID, "en", 1, sitecore.DraftStateID)
	if n := len(e.WorkflowEvents()); n != 0 {
		t.Errorf("%d workflow events, want none", n)
	}
}

func TestSheerWrongStateAlerts(t *testing.T) {
	e, srv := startSheer(t)
	// The article is in Draft, which does not offer Approve.
	body := commandBody(itemWorkflow(sitecore.HarbourFestivalID, "en", "1", sitecore.ApproveCommandID, "1", "1"), "")
	status, reply := postback(t, srv, contentEditorURL, editorToken, body)
	mustReply(t, status, reply, stateChangedReply)
	mustState(t, e, sitecore.HarbourFestivalID, "en", 1, sitecore.DraftStateID)
	if n := len(e.WorkflowEvents()); n != 0 {
		t.Errorf("%d workflow events, want none", n)
	}
	if n := e.PendingPipelines(); n != 0 {
		t.Errorf("%d pending pipelines, want 0", n)
	}
}

func TestSheerRunsImmediately(t *testing.T) {
	for _, tc := range []struct{ name, path, ui, suppress string }{
		{"suppresscomment", contentEditorURL, "0", "1"},
		{"ui", contentEditorURL, "1", "0"},
		{"default.aspx in upper case", "/SITECORE/shell/Default.aspx", "1", "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, srv := startSheer(t)
			body := commandBody(itemWorkflow(sitecore.HarbourFestivalID, "en", "1", sitecore.SubmitCommandID, tc.ui, tc.suppress), "",
				"__CurrentItem", "sitecore://master/{"+strings.ToUpper(sitecore.HarbourFestivalID)+"}?lang=en&ver=1")
			status, reply := postback(t, srv, tc.path, editorToken, body)
			mustReply(t, status, reply, refreshReply)
			mustState(t, e, sitecore.HarbourFestivalID, "en", 1, sitecore.AwaitingApprovalStateID)
			events := e.WorkflowEvents()
			want := sitecore.WorkflowEvent{ItemID: sitecore.HarbourFestivalID, Language: "en", Version: 1, CommandID: sitecore.SubmitCommandID,
				PreviousStateID: sitecore.DraftStateID, NextStateID: sitecore.AwaitingApprovalStateID, Comments: "", User: editorUser}
			if len(events) != 1 || events[0] != want {
				t.Errorf("events = %+v, want [%+v]", events, want)
			}
			if n := e.PendingPipelines(); n != 0 {
				t.Errorf("%d pending pipelines, want 0", n)
			}
		})
	}
}

func TestSheerCommentDialogThenContinuation(t *testing.T) {
	e, srv := startSheer(t)
	pipeline := startPipeline(t, srv, contentEditorURL, commandBody(itemWorkflow(sitecore.HarbourFestivalID, "en", "1", sitecore.SubmitCommandID, "0", "0"), ""))
	mustState(t, e, sitecore.HarbourFestivalID, "en", 1, sitecore.DraftStateID)
	if n := e.PendingPipelines(); n != 1 {
		t.Fatalf("%d pending pipelines, want 1", n)
	}

	// An unknown pipeline and another session's continuation do nothing.
	status, reply := postback(t, srv, contentEditorURL, editorToken, continuationBody(strings.Repeat("0", 32), "hi"))
	mustReply(t, status, reply, emptyReply)
	status, reply = postback(t, srv, contentEditorURL, otherToken, continuationBody(pipeline, "hi"))
	mustReply(t, status, reply, emptyReply)
	if n := len(e.WorkflowEvents()); n != 0 {
		t.Fatalf("%d events before the continuation, want 0", n)
	}

	comment := "Checked by legal – ok ✓"
	status, reply = postback(t, srv, contentEditorURL, editorToken, continuationBody(pipeline, comment))
	mustReply(t, status, reply, refreshReply)
	mustState(t, e, sitecore.HarbourFestivalID, "en", 1, sitecore.AwaitingApprovalStateID)
	events := e.WorkflowEvents()
	if len(events) != 1 {
		t.Fatalf("events = %+v, want one", events)
	}
	if events[0].Comments != comment {
		t.Errorf("Comments = %q, want %q", events[0].Comments, comment)
	}
	if events[0].User != editorUser {
		t.Errorf("User = %q, want %q", events[0].User, editorUser)
	}
	if events[0].CommandID != sitecore.SubmitCommandID {
		t.Errorf("CommandID = %s, want Submit", events[0].CommandID)
	}
	if n := e.PendingPipelines(); n != 0 {
		t.Errorf("%d pending pipelines after the continuation, want 0", n)
	}

	// The pipeline is used up.
	status, reply = postback(t, srv, contentEditorURL, editorToken, continuationBody(pipeline, comment))
	mustReply(t, status, reply, emptyReply)
}

func TestSheerCancelledContinuation(t *testing.T) {
	for _, result := range []string{"null", "undefined", "cancel"} {
		t.Run(result, func(t *testing.T) {
			e, srv := startSheer(t)
			pipeline := startPipeline(t, srv, contentEditorURL, commandBody(itemWorkflow(sitecore.HarbourFestivalID, "en", "1", sitecore.SubmitCommandID, "0", "0"), ""))
			status, reply := postback(t, srv, contentEditorURL, editorToken, continuationBody(pipeline, result))
			mustReply(t, status, reply, emptyReply)
			mustState(t, e, sitecore.HarbourFestivalID, "en", 1, sitecore.DraftStateID)
			if n := len(e.WorkflowEvents()); n != 0 {
				t.Errorf("%d workflow events, want none", n)
			}
			if n := e.PendingPipelines(); n != 0 {
				t.Errorf("%d pending pipelines, want 0", n)
			}
		})
	}
}

func TestSheerContinuationChecksStateAgain(t *testing.T) {
	e, srv := startSheer(t)
	pipeline := startPipeline(t, srv, contentEditorURL, commandBody(itemWorkflow(sitecore.HarbourFestivalID, "en", "1", sitecore.SubmitCommandID, "0", "0"), ""))
	// Meanwhile another editor submits the item.
	status, reply := postback(t, srv, contentEditorURL, otherToken, commandBody(itemWorkflow(sitecore.HarbourFestivalID, "en", "1", sitecore.SubmitCommandID, "0", "1"), ""))
	mustReply(t, status, reply, refreshReply)

	status, reply = postback(t, srv, contentEditorURL, editorToken, continuationBody(pipeline, "late"))
	mustReply(t, status, reply, stateChangedReply)
	events := e.WorkflowEvents()
	if len(events) != 1 {
		t.Fatalf("events = %+v, want only the other editor's Submit", events)
	}
	if events[0].User != otherUser {
		t.Errorf("User = %q, want %q", events[0].User, otherUser)
	}
	if n := e.PendingPipelines(); n != 0 {
		t.Errorf("%d pending pipelines, want 0", n)
	}
}

func TestSheerUnsavedEdits(t *testing.T) {
	checkModified := regexp.MustCompile(`^\{"commands":\[\{"command":"SetPipeline","value":"([0-9a-f]{32})"\},\{"command":"CheckModified","value":"[^"]+","response":"true"\}\]\}$`)
	start := func(t *testing.T, srv *httptest.Server, suppress string) string {
		t.Helper()
		status, reply := postback(t, srv, contentEditorURL, editorToken, commandBody(itemWorkflow(sitecore.HarbourFestivalID, "en", "1", sitecore.SubmitCommandID, "0", suppress), "1", "FIELD412", "edited"))
		if status != http.StatusOK {
			t.Fatalf("status = %d (body %s), want 200", status, reply)
		}
		m := checkModified.FindStringSubmatch(reply)
		if m == nil {
			t.Fatalf("body = %s, want SetPipeline and CheckModified", reply)
		}
		return m[1]
	}

	t.Run("yes saves, then the command runs", func(t *testing.T) {
		e, srv := startSheer(t)
		pipeline := start(t, srv, "1")
		status, reply := postback(t, srv, contentEditorURL, editorToken, commandBody("item:save(postaction=pipeline:resume(pipelineId="+pipeline+"))", ""))
		mustReply(t, status, reply, refreshReply)
		mustState(t, e, sitecore.HarbourFestivalID, "en", 1, sitecore.AwaitingApprovalStateID)
	})
	t.Run("no, then the comment dialog", func(t *testing.T) {
		e, srv := startSheer(t)
		pipeline := start(t, srv, "0")
		status, reply := postback(t, srv, contentEditorURL, editorToken, continuationBody(pipeline, "no"))
		if status != http.StatusOK {
			t.Fatalf("status = %d (body %s), want 200", status, reply)
		}
		m := commentDialogReply.FindStringSubmatch(reply)
		if m == nil {
			t.Fatalf("body = %s, want the comment dialog", reply)
		}
		if m[1] != pipeline {
			t.Errorf("pipeline = %s, want the same pipeline %s", m[1], pipeline)
		}
		mustState(t, e, sitecore.HarbourFestivalID, "en", 1, sitecore.DraftStateID)
		status, reply = postback(t, srv, contentEditorURL, editorToken, continuationBody(pipeline, "after edits"))
		mustReply(t, status, reply, refreshReply)
		events := e.WorkflowEvents()
		if len(events) != 1 {
			t.Fatalf("events = %+v, want one", events)
		}
		if events[0].Comments != "after edits" {
			t.Errorf("Comments = %q, want %q", events[0].Comments, "after edits")
		}
	})
	t.Run("cancel", func(t *testing.T) {
		e, srv := startSheer(t)
		pipeline := start(t, srv, "1")
		status, reply := postback(t, srv, contentEditorURL, editorToken, continuationBody(pipeline, "cancel"))
		mustReply(t, status, reply, emptyReply)
		mustState(t, e, sitecore.HarbourFestivalID, "en", 1, sitecore.DraftStateID)
		if n := e.PendingPipelines(); n != 0 {
			t.Errorf("%d pending pipelines, want 0", n)
		}
	})
}

func TestSheerWorkboxSend(t *testing.T) {
	e, srv := startSheer(t)

	// Wrong state: Draft does not offer Reject.
	status, reply := postback(t, srv, workboxURL, editorToken, commandBody(workflowSend(sitecore.HarbourFestivalID, "en", "1", sitecore.RejectCommandID, "0", "0"), ""))
	mustReply(t, status, reply, `{"commands":[{"command":"Alert","value":"The item has been moved to a different workflow state. Sitecore will therefore reload the item."},`+workboxRefresh+`]}`)

	// Immediate run.
	status, reply = postback(t, srv, workboxURL, editorToken, commandBody(workflowSend(sitecore.HarbourFestivalID, "en", "1", sitecore.SubmitCommandID, "1", "0"), ""))
	mustReply(t, status, reply, `{"commands":[`+workboxRefresh+`]}`)
	mustState(t, e, sitecore.HarbourFestivalID, "en", 1, sitecore.AwaitingApprovalStateID)

	// Comment dialog, then the continuation.
	pipeline := startPipeline(t, srv, workboxURL, commandBody(workflowSend(sitecore.HarbourFestivalID, "en", "1", sitecore.ApproveCommandID, "0", "0"), ""))
	mustState(t, e, sitecore.HarbourFestivalID, "en", 1, sitecore.AwaitingApprovalStateID)
	status, reply = postback(t, srv, workboxURL, editorToken, continuationBody(pipeline, "Looks good"))
	mustReply(t, status, reply, `{"commands":[`+workboxRefresh+`]}`)
	mustState(t, e, sitecore.HarbourFestivalID, "en", 1, sitecore.ApprovedStateID)
	events := e.WorkflowEvents()
	if len(events) != 2 {
		t.Fatalf("events = %+v, want Submit, then Approve", events)
	}
	if events[1].CommandID != sitecore.ApproveCommandID {
		t.Errorf("second CommandID = %s, want Approve", events[1].CommandID)
	}
	if events[1].Comments != "Looks good" {
		t.Errorf("second Comments = %q, want %q", events[1].Comments, "Looks good")
	}

	// The Content Editor does not handle Workbox messages.
	status, reply = postback(t, srv, contentEditorURL, editorToken, commandBody(workflowSend(sitecore.HarbourFestivalID, "en", "1", sitecore.RejectCommandID, "1", "1"), ""))
	mustReply(t, status, reply, emptyReply)
}

func TestSheerSendSelectedPartlyFails(t *testing.T) {
	e, srv := startSheer(t)
	second := createArticle(t, e, srv, "lighthouse-tour")
	unticked := createArticle(t, e, srv, "night-market")
	// The second article leaves Draft before the Workbox posts.
	status, reply := postback(t, srv, contentEditorURL, editorToken, commandBody(itemWorkflow(second, "en", "1", sitecore.SubmitCommandID, "0", "1"), ""))
	mustReply(t, status, reply, refreshReply)

	message := "workflow:sendselected(command={" + strings.ToUpper(sitecore.SubmitCommandID) + "},ws={" +
		strings.ToUpper(sitecore.DraftStateID) + "},wf={" + strings.ToUpper(sitecore.SampleWorkflowID) + "})"
	hidden := func(id string) string { return "{" + strings.ToUpper(id) + "},en,1" }
	body := commandBody(message, "",
		"check_R1", "on", "hidden_R1", hidden(sitecore.HarbourFestivalID),
		"check_R2", "on", "hidden_R2", hidden(second),
		"hidden_R3", hidden(unticked))
	status, reply = postback(t, srv, "/sitecore/shell/default.aspx?xmlcontrol=Workbox", editorToken, body)
	want := `{"commands":[{"command":"Alert","value":"The item {` + strings.ToUpper(second) + `} (en, version 1) was not processed: the item is no longer in the workflow state of the command."},` +
		`{"command":"SetLocation","value":"/sitecore/shell/default.aspx?reload=1&xmlcontrol=Workbox"}]}`
	mustReply(t, status, reply, want)

	mustState(t, e, sitecore.HarbourFestivalID, "en", 1, sitecore.AwaitingApprovalStateID)
	mustState(t, e, second, "en", 1, sitecore.AwaitingApprovalStateID)
	mustState(t, e, unticked, "en", 1, sitecore.DraftStateID)
	events := e.WorkflowEvents()
	if len(events) != 2 {
		t.Fatalf("events = %+v, want the earlier Submit of the second article, then the harbour festival's", events)
	}
	if events[1].ItemID != sitecore.HarbourFestivalID {
		t.Errorf("second ItemID = %s, want the harbour festival", events[1].ItemID)
	}
	if events[1].Comments != "" {
		t.Errorf("second Comments = %q, want empty", events[1].Comments)
	}

	// No ticked item.
	status, reply = postback(t, srv, workboxURL, editorToken, commandBody(message, "", "hidden_R3", hidden(unticked)))
	mustReply(t, status, reply, `{"commands":[{"command":"Alert","value":"There are no selected items."},`+workboxRefresh+`]}`)
	mustState(t, e, unticked, "en", 1, sitecore.DraftStateID)
}

func TestSheerRejectsOtherRequests(t *testing.T) {
	_, srv := startSheer(t)
	resp, body := send(t, http.MethodGet, srv.URL+contentEditorURL, "", map[string]string{"Authorization": "", "Cookie": ".AspNet.Cookies=" + editorToken})
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d %s, want 405", resp.StatusCode, body)
	}
	if status, reply := postback(t, srv, contentEditorURL, editorToken, "&FIELD412=x"); status != http.StatusBadRequest {
		t.Errorf("form without __PARAMETERS: %d %s, want 400", status, reply)
	}
	status, reply := postback(t, srv, contentEditorURL, editorToken, commandBody(`LoadItem("{`+strings.ToUpper(sitecore.HomeID)+`}")`, ""))
	mustReply(t, status, reply, emptyReply)
}
