package sitecore_test

import (
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// tickedOne is a Workbox postback that runs the example command on one
// ticked item, version 2 in English, in state ws.
const tickedOne = "&__PARAMETERS=workflow%3Asendselected%28command%3D%7B7C34681A-CACA-4098-B099-41C768E782CE%7D%2Cws%3D%7B44A7E7A9" +
	"-A33D-4F3A-A83A-F321D8709D1F%7D%2Cwf%3D%7B6C088606-CB81-4173-8C54-ADEE3571E0FC%7D%29&__ISEVENT=1" +
	"&check_R1=1&hidden_R1=%7B3D457AFD-A5DC-4522-94DC-830E20D89FA4%7D%2Cen%2C2"

// ribbonCommand posts the Experience Editor ribbon's example command on
// the page, with the ui flag, and with unsaved edits when modified is set.
func ribbonCommand(c *sitecore.Classifier, ui string, modified bool) []*dispatch.Operation {
	body := "&__PARAMETERS=webedit%3Aworkflowwithdatasourceitems%28id%3D%7B7DB3B587-2DDE-440D-BFF6-4192C57C6D2D%7D%2Clanguage%3Den" +
		"%2Cversion%3D3%2Ccommandid%3D%7B7C34681A-CACA-4098-B099-41C768E782CE%7D%2Cui%3D" + ui + "%29&__ISEVENT=1&__MODIFIED="
	if modified {
		body += "1"
	}
	return postback(c, "/sitecore/shell/Applications/WebEdit/WebEditRibbon.aspx", body)
}

// commentDialog is a response that opens the comment dialog of pipeline p1.
const commentDialog = `{"commands":[{"command":"SetPipeline","value":"p1"},{"command":"ShowModalDialog","value":"/sitecore/shell/default.aspx?xmlcontrol=WorkflowComment"}]}`

// postbackAs sends a form body with the given session cookies.
func postbackAs(c *sitecore.Classifier, target, body string, cookies map[string]string) []*dispatch.Operation {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for name, value := range cookies {
		r.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	return c.Classify(r, []byte(body))
}

// openComment posts example A's Approve that needs a comment and answers it
// with the comment dialog of pipeline p1.
func openComment(t *testing.T, c *sitecore.Classifier) []*dispatch.Operation {
	t.Helper()
	first := postback(c, contentEditor, workflowParams("0"))
	c.Complete(first, 200, nil, []byte(commentDialog))
	return first
}

// TestEmptyCommentRunsCommand pins that an empty dialog result is not a
// cancel: Sitecore runs the command with an empty comment, so it is
// validated.
func TestEmptyCommentRunsCommand(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	openComment(t, c)
	cont := postback(c, contentEditor, "&__RESULT=&__PIPELINE=p1")
	if len(cont) != 1 || cont[0].StatusChange == nil || cont[0].Comments != "" {
		t.Fatalf("empty result: %+v, want the command with an empty comment", cont)
	}
}

// TestBlockedContinuationTrackedAgain pins that a continuation that was
// blocked is checked again when posted again: Sitecore still waits for it.
func TestBlockedContinuationTrackedAgain(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	openComment(t, c)
	cont := postback(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p1")
	if len(cont) != 1 {
		t.Fatalf("continuation: %d operations, want 1", len(cont))
	}
	c.Reject(cont, http.StatusConflict, "Legal review is missing.", nil)

	again := postback(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p1")
	if len(again) != 1 || again[0].StatusChange == nil || again[0].StatusChange.CommandID != exampleCmd {
		t.Fatalf("the same continuation again: %+v, want the command to check again", again)
	}
}

// TestMessageBesideEmptyPipeline pins that an empty __PIPELINE does not
// make a postback a continuation, and that a continuation that also
// carries a command message is refused, since which one Sitecore would
// run is not known.
func TestMessageBesideEmptyPipeline(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	if ops := postback(c, contentEditor, workflowParams("1")+"&__PIPELINE="); len(ops) != 1 || ops[0].StatusChange == nil {
		t.Errorf("command with an empty __PIPELINE: %+v, want the command", ops)
	}
	openComment(t, c)
	ops := postback(c, contentEditor, workflowParams("1")+"&__PIPELINE=p1&__RESULT=Fine")
	refusals := 0
	for _, op := range ops {
		if op.Refuse != "" {
			refusals++
		}
	}
	if refusals != 1 {
		t.Errorf("continuation with a message: %+v, want it refused", ops)
	}
}

// TestRenewedCookieKeepsFlow pins that a continuation whose authentication
// cookie was renewed while the dialog was open is still matched, and that
// of two flows with one pipeline id the one of the same session is taken.
func TestRenewedCookieKeepsFlow(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	first := postbackAs(c, contentEditor, workflowParams("0"), map[string]string{".AspNet.Cookies": "ticket-1"})
	c.Complete(first, 200, nil, []byte(commentDialog))
	if cont := postbackAs(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p1", map[string]string{".AspNet.Cookies": "ticket-2"}); len(cont) != 1 {
		t.Errorf("after a renewed cookie: %d operations, want the tracked command", len(cont))
	}

	a := postbackAs(c, contentEditor, workflowParams("0"), map[string]string{"ASP.NET_SessionId": "alice"})
	c.Complete(a, 200, nil, []byte(commentDialog))
	b := postbackAs(c, contentEditor, workflowParams("0"), map[string]string{"ASP.NET_SessionId": "bob"})
	c.Complete(b, 200, nil, []byte(commentDialog))
	cont := postbackAs(c, contentEditor, "&__RESULT=Mine&__PIPELINE=p1", map[string]string{"ASP.NET_SessionId": "alice"})
	if len(cont) != 1 {
		t.Fatalf("alice's continuation: %d operations, want 1", len(cont))
	}
	if cont := postbackAs(c, contentEditor, "&__RESULT=Mine&__PIPELINE=p1", map[string]string{"ASP.NET_SessionId": "bob"}); len(cont) != 1 {
		t.Errorf("bob's continuation after alice's: %d operations, want his own", len(cont))
	}
}

// TestUnreadableResponseUnchecked pins that a response that cannot be read
// as commands leaves a held command marked for the handler to log.
func TestUnreadableResponseUnchecked(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	ops := postback(c, contentEditor, workflowParams("0"))
	c.Complete(ops, 200, nil, []byte("\x1f\x8b not commands"))
	if !ops[0].Unchecked {
		t.Error("a held command with an unreadable response is not marked unchecked")
	}
}

// TestTrackedCopiesIndependent pins that the flow keeps copies: serving
// the continuation while the first request's handler still reads its own
// operations changes nothing there (run with -race).
func TestTrackedCopiesIndependent(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	first := openComment(t, c)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range 1000 {
			_, _ = first[0].Succeeded, first[0].Comments
		}
	}()
	go func() {
		defer wg.Done()
		cont := postback(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p1")
		c.Complete(cont, 200, nil, []byte(`{"commands":[]}`))
	}()
	wg.Wait()
	if first[0].Succeeded || first[0].Comments != "" {
		t.Errorf("the first request's operation changed: succeeded %v, comments %q", first[0].Succeeded, first[0].Comments)
	}
}

// TestWorkboxBulkCommentHoldsCommand pins workbox_bulk_comment: the ticked
// items' command waits for the one comment, and runs with it.
func TestWorkboxBulkCommentHoldsCommand(t *testing.T) {
	c := sitecore.New(sitecore.Config{WorkboxBulkComment: true})
	body := tickedOne
	first := postback(c, workbox, body)
	if len(first) != 1 || first[0].StatusChange != nil {
		t.Fatalf("first request: %+v, want the command held for the comment", first)
	}
	c.Complete(first, 200, nil, []byte(commentDialog))
	cont := postback(c, workbox, "&__RESULT=Batch%20approved&__PIPELINE=p1")
	if len(cont) != 1 || cont[0].StatusChange == nil || cont[0].Comments != "Batch approved" {
		t.Fatalf("continuation: %+v, want the command with the comment", cont)
	}
}

// TestBlockSendAllReadsNothing pins block_send_all: "send all" reads no
// items, so its command stays on unknown items, which the handler refuses
// when the command has validation actions.
func TestBlockSendAllReadsNothing(t *testing.T) {
	c := sitecore.New(sitecore.Config{BlockSendAll: true})
	body := "&__PARAMETERS=workflow%3Asendall%28command%3D%7B7C34681A-CACA-4098-B099-41C768E782CE%7D%2Cws%3D%7B44A7E7A9" +
		"-A33D-4F3A-A83A-F321D8709D1F%7D%2Cwf%3D%7B6C088606-CB81-4173-8C54-ADEE3571E0FC%7D%29&__ISEVENT=1"
	ops := postback(c, workbox, body)
	if len(ops) != 1 || len(ops[0].Lookups) != 0 || ops[0].StatusChange == nil || !ops[0].StatusChange.ItemsUnknown {
		t.Fatalf("send all blocked: %+v, want the command on unknown items without a read", ops)
	}
}

// TestContinuationInFlight pins the life of a tracked flow. While its
// continuation is served, the same continuation is refused. When the CMS
// fails, the flow waits again, and when the CMS ran it, the flow ends.
func TestContinuationInFlight(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	openComment(t, c)
	first := postback(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p1")
	if len(first) != 1 || first[0].Refuse != "" {
		t.Fatalf("continuation: %+v, want the command", first)
	}
	if again := postback(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p1"); len(again) != 1 || again[0].Refuse == "" {
		t.Fatalf("the same continuation while the first is served: %+v, want it refused", again)
	}

	c.Complete(first, http.StatusBadGateway, nil, nil)
	retry := postback(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p1")
	if len(retry) != 1 || retry[0].StatusChange == nil || retry[0].Refuse != "" {
		t.Fatalf("after a failed forward: %+v, want the command again", retry)
	}

	c.Complete(retry, 200, nil, []byte(`{"commands":[{"command":"Eval","value":"scForm.postRequest('','','','item:refresh')"}]}`))
	if !retry[0].Succeeded {
		t.Error("the continuation that ran did not succeed")
	}
	if after := postback(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p1"); len(after) != 0 {
		t.Errorf("after the command ran: %+v, want the flow ended", after)
	}
}

// TestHeldBulkStateRead pins that the state read of ticked items held for
// the bulk comment fills the held change.
func TestHeldBulkStateRead(t *testing.T) {
	c := sitecore.New(sitecore.Config{WorkboxBulkComment: true})
	body := tickedOne
	op := postback(c, workbox, body)[0]
	op.Lookups[0].Apply(op, http.StatusOK, []byte(`{"data":{"item":{"workflow":{"workflowState":{"stateId":"fca998c50cc34f9194d80a4e6caece88"}}}}}`))
	c.Complete([]*dispatch.Operation{op}, 200, nil, []byte(commentDialog))
	cont := postback(c, workbox, "&__RESULT=Batch&__PIPELINE=p1")
	if len(cont) != 1 || cont[0].StatusChange == nil || cont[0].StatusChange.FromState != "fca998c5-0cc3-4f91-94d8-0a4e6caece88" {
		t.Fatalf("continuation: %+v, want the command leaving the state read", cont)
	}
}

// TestDatasourcesWaitForComment pins that the data sources of a ribbon
// command that needs a comment wait for it after "save first?", as the
// page does.
func TestDatasourcesWaitForComment(t *testing.T) {
	c := sitecore.New(sitecore.Config{DatasourceItems: true})
	page := ribbonCommand(c, "0", true)[0]
	page.Lookups[0].Apply(page, http.StatusOK, []byte(`{"data":{"item":{"path":"/p","shared":{"value":"<r><d><r ds=\"{3D457AFD-A5DC-4522-94DC-830E20D89FA4}\"/></d></r>"},"final":null}}}`))
	page.Lookups[1].Apply(page, http.StatusOK, []byte(`{"data":{"item":{"workflow":{"workflowState":{"stateId":"190b1c84f1be47edaa41f42193d9c8fc"}}}}}`))
	c.Complete(page.Fanout, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p1"},{"command":"CheckModified","value":"Save?"}]}`))

	no := postback(c, "/sitecore/shell/Applications/WebEdit/WebEditRibbon.aspx", "&__RESULT=no&__PIPELINE=p1")
	if len(no) != 2 {
		t.Fatalf("answer no: %d operations, want the page and the data source", len(no))
	}
	for i, op := range no {
		if op.StatusChange != nil {
			t.Errorf("operation %d runs on the answer to save first, want it to wait for the comment", i)
		}
	}
}

// TestCancelWaitsForTheCMS pins that a cancel ends its flow only once the
// CMS has seen it. A cancel that is refused, here for the unreadable
// message posted with it, leaves the dialog waiting. Its next continuation
// runs the command, which is then validated.
func TestCancelWaitsForTheCMS(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	openComment(t, c)
	cancel := postback(c, contentEditor, "&__RESULT=cancel&__PIPELINE=p1&__PARAMETERS=item%3Aworkflow%28id%3D%7Bx")
	if runsNothing(cancel) {
		t.Fatalf("cancel with an unreadable message: %+v, want it refused", cancel)
	}
	c.Reject(cancel, http.StatusConflict, "refused", nil)

	cont := postback(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p1")
	if len(cont) != 1 || cont[0].StatusChange == nil {
		t.Fatalf("the next continuation: %+v, want the command", cont)
	}
}

// TestAlertEndsFlow pins that an alert in the continuation's response ends
// the flow, as Sitecore ends the pipeline: the same continuation posted
// again is not taken for the command, which never ran.
func TestAlertEndsFlow(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	openComment(t, c)
	cont := postback(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p1")
	c.Complete(cont, 200, nil, []byte(`{"commands":[{"command":"Alert","value":"The item has been moved to a different workflow state."}]}`))
	if cont[0].Succeeded {
		t.Error("the refused command succeeded")
	}
	if again := postback(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p1"); len(again) != 0 {
		t.Errorf("the continuation again: %+v, want the flow ended", again)
	}
}

// TestQuestionAfterTargetKeepsTarget pins a question that follows a move's
// target, such as whether to go on with many links. Its yes or no is not
// taken for the target. A no runs nothing, and a yes moves to the target
// chosen before.
func TestQuestionAfterTargetKeepsTarget(t *testing.T) {
	const question = `{"commands":[{"command":"SetPipeline","value":"p2"},{"command":"Confirm","value":"This operation may take a long time. Continue?"}]}`
	for _, answer := range []string{"no", "yes"} {
		c := sitecore.New(sitecore.Config{})
		first := postback(c, contentEditor, "&__PARAMETERS="+url.QueryEscape("item:moveto(id={7DB3B587-2DDE-440D-BFF6-4192C57C6D2D})")+"&__ISEVENT=1")
		c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p1"},{"command":"ShowModalDialog","value":"/sitecore/shell/default.aspx?xmlcontrol=Sitecore.Shell.Applications.Dialogs.SelectItem"}]}`))
		target := postback(c, contentEditor, "&__RESULT=%7BEE5C140A-3FAA-4D3D-B427-46C9CF5F7E5F%7D&__PIPELINE=p1")
		c.Complete(target, 200, nil, []byte(question))
		if target[0].Succeeded {
			t.Fatalf("%s: the move succeeded before its question was answered", answer)
		}
		last := postback(c, contentEditor, "&__RESULT="+answer+"&__PIPELINE=p2")
		if answer == "no" {
			if !runsNothing(last) {
				t.Errorf("no: %+v, want nothing moved", last)
			}
			continue
		}
		if len(last) != 1 || last[0].Item.ParentID != "ee5c140a-3faa-4d3d-b427-46c9cf5f7e5f" {
			t.Errorf("yes: %+v, want the move to the target chosen before", last)
		}
	}
}

// TestSaveQuestionAfterSaveFirst pins a yes to "save first?" whose save
// then prompts a question of its own. The save waits for it, a no saves
// and runs nothing, and a yes saves and runs the command.
func TestSaveQuestionAfterSaveFirst(t *testing.T) {
	for _, answer := range []string{"no", "yes"} {
		c := sitecore.New(sitecore.Config{})
		first := postback(c, contentEditor, modifiedWorkflow("1"))
		c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p7"},{"command":"CheckModified","value":"Save?"}]}`))
		resume := postback(c, contentEditor, "&__PARAMETERS="+url.QueryEscape("item:save(postaction=pipeline:resume(pipelineId=p7))")+"&__ISEVENT=1"+currentItem)
		c.Complete(resume, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p8"},{"command":"Confirm","value":"One or more items have been changed. Overwrite?"}]}`))
		for _, op := range resume {
			if op.Succeeded {
				t.Fatalf("%s: %+v succeeded before the save's question was answered", answer, op)
			}
		}
		last := postback(c, contentEditor, "&__RESULT="+answer+"&__PIPELINE=p8")
		if answer == "no" {
			if !runsNothing(last) {
				t.Errorf("no: %+v, want nothing saved or run", last)
			}
			continue
		}
		var command, save bool
		for _, op := range last {
			command = command || (op.StatusChange != nil && op.Comments == "")
			save = save || op.HasEvent(dispatch.EventItemSaved)
		}
		if !command || !save {
			t.Errorf("yes: %+v, want the save and the command, without a comment", last)
		}
	}
}

// TestEmptyResponseRanNothing pins that a workflow command whose response
// has no commands at all did not run. Sitecore responds so when the item
// version is gone.
func TestEmptyResponseRanNothing(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	ops := postback(c, contentEditor, workflowParams("1"))
	c.Complete(ops, 200, nil, []byte(`{"commands":[]}`))
	if ops[0].Succeeded || ops[0].Unchecked {
		t.Errorf("succeeded %v, unchecked %v; want neither", ops[0].Succeeded, ops[0].Unchecked)
	}
}

// TestSaveQuestionThenComment pins a yes to "save first?" for a command
// that needs a comment, whose save prompts a question of its own. After
// its yes, the save has run, and the comment dialog that follows runs the
// command with the comment.
func TestSaveQuestionThenComment(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	first := postback(c, contentEditor, modifiedWorkflow("0"))
	c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p7"},{"command":"CheckModified","value":"Save?"}]}`))
	resume := postback(c, contentEditor, "&__PARAMETERS="+url.QueryEscape("item:save(postaction=pipeline:resume(pipelineId=p7))")+"&__ISEVENT=1"+currentItem)
	c.Complete(resume, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p8"},{"command":"Confirm","value":"Overwrite?"}]}`))

	yes := postback(c, contentEditor, "&__RESULT=yes&__PIPELINE=p8")
	c.Complete(yes, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p7"},{"command":"ShowModalDialog","value":"/sitecore/shell/default.aspx?xmlcontrol=WorkflowComment"}]}`))
	saved := false
	for _, op := range yes {
		saved = saved || (op.HasEvent(dispatch.EventItemSaved) && op.Succeeded)
		if op.StatusChange != nil && op.Succeeded {
			t.Error("the command succeeded before its comment")
		}
	}
	if !saved {
		t.Errorf("after yes to the save's question: %+v, want the save to succeed", yes)
	}

	comment := postback(c, contentEditor, "&__RESULT=Looks%20good&__PIPELINE=p7")
	if len(comment) != 1 || comment[0].StatusChange == nil || comment[0].Comments != "Looks good" {
		t.Fatalf("comment: %+v, want the command alone, with the comment", comment)
	}
}

// TestForeignContinuationLeavesFlow pins that a continuation from another
// session, to which Sitecore responds with no commands, does not end the
// editor's flow. Another site cannot take the flow at all.
func TestForeignContinuationLeavesFlow(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	first := postbackAs(c, contentEditor, workflowParams("0"), map[string]string{"ASP.NET_SessionId": "alice"})
	c.Complete(first, 200, nil, []byte(commentDialog))

	other := httptest.NewRequest(http.MethodPost, "http://cm2.example.test"+contentEditor, strings.NewReader("&__RESULT=cancel&__PIPELINE=p1"))
	if ops := c.Classify(other, []byte("&__RESULT=cancel&__PIPELINE=p1")); len(ops) != 0 {
		t.Errorf("a continuation to another site: %+v, want it not matched", ops)
	}
	foreign := postbackAs(c, contentEditor, "&__RESULT=cancel&__PIPELINE=p1", map[string]string{"ASP.NET_SessionId": "mallory"})
	c.Complete(foreign, 200, nil, []byte(`{"commands":[]}`))

	own := postbackAs(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p1", map[string]string{"ASP.NET_SessionId": "alice"})
	if len(own) != 1 || own[0].StatusChange == nil {
		t.Fatalf("the editor's own continuation: %+v, want the command", own)
	}
}

// TestSendAllConfirmsEachItem pins that the items of "send all" fire only
// once a read after the response shows they moved: Sitecore skips, without
// an alert, items that another editor has locked.
func TestSendAllConfirmsEachItem(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	body := "&__PARAMETERS=workflow%3Asendall%28command%3D%7B7C34681A-CACA-4098-B099-41C768E782CE%7D%2Cws%3D%7B44A7E7A9" +
		"-A33D-4F3A-A83A-F321D8709D1F%7D%2Cwf%3D%7B6C088606-CB81-4173-8C54-ADEE3571E0FC%7D%29&__ISEVENT=1"
	op := postback(c, workbox, body)[0]
	const state = `"innerItem":{"workflow":{"workflowState":{"stateId":"44a7e7a9a33d4f3aa83af321d8709d1f"}}}`
	op.Lookups[0].Apply(op, http.StatusOK, []byte(`{"data":{"search":{"totalCount":2,"results":[`+
		`{"itemId":"3d457afda5dc452294dc830e20d89fa4","version":1,"language":{"name":"en"},`+state+`},`+
		`{"itemId":"ee5c140a3faa4d3db42746c9cf5f7e5f","version":1,"language":{"name":"en"},`+state+`}]}}}`))
	fanned := op.Fanout
	if len(fanned) != 2 {
		t.Fatalf("fan-out %d, want 2", len(fanned))
	}
	// Sitecore ran the command on the first item only: the second is locked
	// by another editor, which WorkboxForm.GetItems skips without an alert.
	c.Complete(fanned, 200, nil, []byte(`{"commands":[{"command":"SetLocation","value":"/sitecore/shell/Applications/Workbox.aspx?mo=fs&reload=1"}]}`))
	for _, f := range fanned {
		if f.Succeeded && len(f.Confirm) == 0 {
			t.Errorf("item %s marked succeeded without reading whether it moved", f.Item.ID)
		}
	}
}

// TestValidateEarlyTurnedOnMidFlow pins a flow opened at "save first?"
// under a configuration without validate_on_first_request and continued
// after a reload that turns it on: some request of the flow is validated.
func TestValidateEarlyTurnedOnMidFlow(t *testing.T) {
	d := sitecore.NewDialogs()
	before := sitecore.New(sitecore.Config{}, sitecore.WithDialogs(d))
	first := postback(before, contentEditor, strings.Replace(workflowParams("0"), "__MODIFIED=&", "__MODIFIED=1&", 1))
	if len(first) != 1 || first[0].StatusChange != nil {
		t.Fatalf("first request: %+v, want the command held", first)
	}
	before.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p1"},{"command":"CheckModified","value":"Save?","response":"1"}]}`))

	after := sitecore.New(sitecore.Config{ValidateOnFirstRequest: true}, sitecore.WithDialogs(d))
	no := postback(after, contentEditor, "&__RESULT=no&__PIPELINE=p1")
	if len(no) != 1 {
		t.Fatalf("'no' to save first: %d operations, want 1", len(no))
	}
	validated := no[0].StatusChange != nil && !no[0].Validated
	after.Complete(no, 200, nil, []byte(commentDialog))
	cont := postback(after, contentEditor, "&__RESULT=Fine&__PIPELINE=p1")
	if len(cont) != 1 || cont[0].StatusChange == nil {
		t.Fatalf("comment: %+v, want the command", cont)
	}
	validated = validated || !cont[0].Validated
	if !validated {
		t.Errorf("no request of this flow is validated: the handler skips a change marked Validated")
	}
}

// validationResult is the response of Sitecore's workflow Validation
// Action (Sitecore.Workflows.Simple.ValidatorsAction) when the item fails
// its validators: it shows the ValidationResult dialog, without a pipeline
// and without an alert, and aborts the command, so the item stays.
const validationResult = `{"commands":[{"command":"ShowModalDialog","value":"/sitecore/shell/-/xaml/Sitecore.Shell.Applications.ContentEditor.Dialogs.ValidationResult.aspx?hdl=A1B2","width":"850"}`

// TestValidationResultDialogRefuses pins that a command refused by the
// workflow's own Validation Action, whose response shows the validation
// result without a pipeline and without an alert, does not succeed.
func TestValidationResultDialogRefuses(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	// Content Editor, no comment: runs in the first request.
	ops := postback(c, contentEditor, workflowParams("1"))
	c.Complete(ops, 200, nil, []byte(validationResult+`]}`))
	if ops[0].Succeeded {
		t.Errorf("Content Editor: command refused by the Validation Action marked succeeded")
	}
	// The comment continuation.
	openComment(t, c)
	cont := postback(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p1")
	c.Complete(cont, 200, nil, []byte(validationResult+`]}`))
	if cont[0].Succeeded {
		t.Errorf("comment continuation: command refused by the Validation Action marked succeeded")
	}
	// Workbox "(selected)": WorkboxForm.ExecutCommand ignores the result
	// and refreshes, without an alert.
	body := tickedOne
	bulk := postback(c, workbox, body)
	bulk[0].Lookups[0].Apply(bulk[0], http.StatusOK, []byte(`{"data":{"item":{"workflow":{"workflowState":{"stateId":"44a7e7a9a33d4f3aa83af321d8709d1f"}}}}}`))
	c.Complete(bulk, 200, nil, []byte(validationResult+`,{"command":"SetLocation","value":"/sitecore/shell/Applications/Workbox.aspx?mo=fs&reload=1"}]}`))
	if bulk[0].Succeeded && len(bulk[0].Confirm) == 0 {
		t.Errorf("Workbox: command refused by the Validation Action marked succeeded with no read of its state")
	}
}

// TestSendAllUnreadFiresNothing pins that a "send all" whose items could
// not be read, and that no validation action refused, fires nothing after
// Sitecore ran it: there is no item to fire for.
func TestSendAllUnreadFiresNothing(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	body := "&__PARAMETERS=workflow%3Asendall%28command%3D%7B7C34681A-CACA-4098-B099-41C768E782CE%7D%2Cws%3D%7B44A7E7A9" +
		"-A33D-4F3A-A83A-F321D8709D1F%7D%2Cwf%3D%7B6C088606-CB81-4173-8C54-ADEE3571E0FC%7D%29&__ISEVENT=1"
	op := postback(c, workbox, body)[0]
	op.Lookups[0].Apply(op, http.StatusUnauthorized, nil)
	c.Complete([]*dispatch.Operation{op}, 200, nil, []byte(`{"commands":[{"command":"SetLocation","value":"/sitecore/shell/Applications/Workbox.aspx?mo=fs&reload=1"}]}`))
	if op.Succeeded {
		t.Error("the command on unread items succeeded, want it to fire nothing")
	}
}

// TestContinuationRunsNoReads pins that a tracked command's reads before
// forwarding, which ran on the first request, do not run again on its
// continuation.
func TestContinuationRunsNoReads(t *testing.T) {
	c := sitecore.New(sitecore.Config{WorkboxBulkComment: true})
	body := tickedOne
	first := postback(c, workbox, body)
	c.Complete(first, 200, nil, []byte(commentDialog))
	cont := postback(c, workbox, "&__RESULT=Batch&__PIPELINE=p1")
	if len(cont) != 1 || len(cont[0].Lookups) != 0 {
		t.Errorf("continuation: %+v, want the command without reads", cont)
	}
}

// TestEmptyNameRunsNothing pins that a rename whose dialog posts no name
// runs nothing, as Sitecore's pipeline does without a result.
func TestEmptyNameRunsNothing(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	first := postback(c, contentEditor, "&__PARAMETERS="+url.QueryEscape("item:rename(id={7DB3B587-2DDE-440D-BFF6-4192C57C6D2D})")+"&__ISEVENT=1")
	c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p1"},{"command":"Input","value":"Enter a new name for the item:"}]}`))
	if ops := postback(c, contentEditor, "&__RESULT=&__PIPELINE=p1"); !runsNothing(ops) {
		t.Errorf("empty name: %+v, want nothing renamed", ops)
	}
}

// TestMultipartPostbackClassified pins that a postback sent as a multipart
// form, which ASP.NET reads like a form-encoded one, is classified too.
func TestMultipartPostbackClassified(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	var buf strings.Builder
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("__PARAMETERS", "item:workflow(id={7DB3B587-2DDE-440D-BFF6-4192C57C6D2D},language=en,version=3,commandid={7C34681A-CACA-4098-B099-41C768E782CE},ui=1)")
	_ = mw.WriteField("__ISEVENT", "1")
	_ = mw.Close()
	r := httptest.NewRequest(http.MethodPost, contentEditor, strings.NewReader(buf.String()))
	r.Header.Set("Content-Type", mw.FormDataContentType())
	ops := c.Classify(r, []byte(buf.String()))
	if len(ops) != 1 || ops[0].StatusChange == nil || ops[0].StatusChange.CommandID != exampleCmd {
		t.Errorf("multipart postback: %+v, want the command", ops)
	}
}

// TestDotSegmentsInShellPath pins that a postback to a path with dot
// segments, which IIS resolves, is classified like the clean path.
func TestDotSegmentsInShellPath(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	ops := postback(c, "/sitecore/./shell//Applications/../Applications/Content%20editor.aspx", workflowParams("1"))
	if len(ops) != 1 || ops[0].StatusChange == nil {
		t.Errorf("postback with dot segments: %+v, want the command", ops)
	}
}

// TestBulkCommentSuppressed pins that with workbox_bulk_comment a bulk
// message that suppresses the comment runs at once, so it is validated in
// its own request.
func TestBulkCommentSuppressed(t *testing.T) {
	c := sitecore.New(sitecore.Config{WorkboxBulkComment: true})
	body := strings.Replace(tickedOne, "%29&__ISEVENT", "%2Csuppresscomment%3D1%29&__ISEVENT", 1)
	ops := postback(c, workbox, body)
	if len(ops) != 1 || ops[0].StatusChange == nil {
		t.Errorf("bulk command with suppresscomment=1: %+v, want it to run now", ops)
	}
}

// TestDatasourceNamedTwiceRunsOnce pins that a data source named once by id
// and once by path runs the command once.
func TestDatasourceNamedTwiceRunsOnce(t *testing.T) {
	c := sitecore.New(sitecore.Config{DatasourceItems: true})
	page := ribbonCommand(c, "1", false)[0]
	page.Lookups[0].Apply(page, http.StatusOK, []byte(`{"data":{"item":{"path":"/p","shared":{"value":"<r><d><r ds=\"{3D457AFD-A5DC-4522-94DC-830E20D89FA4}\"/><r ds=\"/sitecore/content/Shared/Promo\"/></d></r>"},"final":null}}}`))
	state := []byte(`{"data":{"item":{"itemId":"3d457afda5dc452294dc830e20d89fa4","workflow":{"workflowState":{"stateId":"190b1c84f1be47edaa41f42193d9c8fc"}}}}}`)
	page.Lookups[1].Apply(page, http.StatusOK, state)
	page.Lookups[2].Apply(page, http.StatusOK, state)
	running := 0
	for _, op := range page.Fanout[1:] {
		if op.StatusChange != nil {
			running++
		}
	}
	if running != 1 {
		t.Errorf("%d commands on the data source, want 1", running)
	}
}

// TestUnreadableMultipartRefused pins that a multipart postback that Go's
// reader cannot read in full, but that names a command field, is refused:
// ASP.NET reads multipart forms more leniently, so the command could run.
func TestUnreadableMultipartRefused(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	body := "--XB\r\nContent-Disposition: form-data; name=\"__PARAMETERS\"; x\r\n\r\n" +
		"item:workflow(id={7DB3B587-2DDE-440D-BFF6-4192C57C6D2D},commandid={7C34681A-CACA-4098-B099-41C768E782CE},ui=1)\r\n--XB--\r\n"
	for _, contentType := range []string{"multipart/form-data; boundary=XB", "multipart/form-data, boundary=XB"} {
		r := httptest.NewRequest(http.MethodPost, contentEditor, strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		ops := c.Classify(r, []byte(body))
		if len(ops) != 1 || ops[0].Refuse == "" {
			t.Errorf("%s: %+v, want the postback refused", contentType, ops)
		}
	}
}
