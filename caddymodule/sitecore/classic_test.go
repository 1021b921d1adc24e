package sitecore_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cmshooks/caddy-cms-webhooks/caddymodule/sitecore"
	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

const (
	contentEditor = "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1"
	workbox       = "/sitecore/shell/Applications/Workbox.aspx?mo=fs"
	exampleItem   = "7db3b587-2dde-440d-bff6-4192c57c6d2d"
	exampleCmd    = "{7C34681A-CACA-4098-B099-41C768E782CE}"
)

// postback sends a form body, as the Sheer UI client does, with the
// editor's session cookie.
func postback(c *sitecore.Classifier, target, body string) []*dispatch.Operation {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.AddCookie(&http.Cookie{Name: ".AspNet.Cookies", Value: "editor-session"})
	return c.Classify(r, []byte(body))
}

// workflowParams is example A's item:workflow message, escape()-encoded.
func workflowParams(ui string) string {
	return "&__PARAMETERS=item%3Aworkflow%28id%3D%7B7DB3B587-2DDE-440D-BFF6-4192C57C6D2D%7D%2Clanguage%3Den%2Cversion%3D3" +
		"%2Ccommandid%3D%7B7C34681A-CACA-4098-B099-41C768E782CE%7D%2Cworkflowid%3D%7B6C088606-CB81-4173-8C54-ADEE3571E0FC" +
		"%7D%2Cui%3D" + ui + "%2Csuppresscomment%3D0%29&__EVENTTARGET=B7F3&__MODIFIED=&__ISEVENT=1"
}

// TestCommentDialogValidatesContinuation follows example A: the first
// request opens the comment dialog and is neither validated nor fired; the
// continuation carries the comment and runs the command.
func TestCommentDialogValidatesContinuation(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	first := postback(c, contentEditor, workflowParams("0"))
	if len(first) != 1 || first[0].StatusChange != nil {
		t.Fatalf("first request: %+v, want one operation without a status change", first)
	}
	c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"c9b7c6d6931841af9fb2cc23ce9ebb43"},{"command":"ShowModalDialog","value":"/sitecore/shell/default.aspx?xmlcontrol=WorkflowComment"}]}`))
	if first[0].Succeeded {
		t.Error("the request that opened the dialog succeeded, want no events")
	}

	cont := postback(c, contentEditor, "&__RESULT=Checked%20by%20legal&__PIPELINE=c9b7c6d6931841af9fb2cc23ce9ebb43")
	if len(cont) != 1 || cont[0].StatusChange == nil {
		t.Fatalf("continuation: %+v, want the workflow command", cont)
	}
	op := cont[0]
	if op.StatusChange.CommandID != exampleCmd || op.Item.ID != exampleItem || op.Item.Language != "en" || op.Item.Version != 3 {
		t.Errorf("operation = %+v, item %+v", op.StatusChange, op.Item)
	}
	if op.Comments != "Checked by legal" {
		t.Errorf("Comments = %q, want the dialog's result", op.Comments)
	}
	c.Complete(cont, 200, nil, []byte(`{"commands":[{"command":"Eval","value":"scForm.postRequest('','','','item:refresh')"}]}`))
	if !op.Succeeded {
		t.Error("continuation without an Alert: Succeeded = false")
	}
}

// TestCancelledDialogRunsNothing pins that a continuation whose dialog was
// cancelled changes nothing, as Sitecore runs nothing for it.
func TestCancelledDialogRunsNothing(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	first := postback(c, contentEditor, workflowParams("0"))
	c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"abc"}]}`))
	if ops := postback(c, contentEditor, "&__RESULT=null&__PIPELINE=abc"); !runsNothing(ops) {
		t.Errorf("cancelled continuation: %+v, want nothing that changes an item", ops)
	}
}

// runsNothing reports whether operations neither change a workflow state
// nor fire an item event: what a cancelled dialog leaves.
func runsNothing(ops []*dispatch.Operation) bool {
	for _, op := range ops {
		if op.StatusChange != nil || len(op.Events) > 0 || op.Refuse != "" {
			return false
		}
	}
	return true
}

// TestImmediateCommandAndAlert pins a command that runs in its first
// request (ui=1) and Sitecore's refusal by an Alert inside a 200.
func TestImmediateCommandAndAlert(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	ops := postback(c, contentEditor, workflowParams("1"))
	if len(ops) != 1 || ops[0].StatusChange == nil || ops[0].StatusChange.CommandID != exampleCmd {
		t.Fatalf("ui=1: %+v, want the workflow command in the first request", ops)
	}
	c.Complete(ops, 200, nil, []byte(`{"commands":[{"command":"Alert","value":"The command is not valid in this state."}]}`))
	if ops[0].Succeeded {
		t.Error("Alert: Succeeded = true, want false")
	}
}

// TestSendSelectedListsTickedItems follows example B: only the ticked
// item, from its hidden field, is a command.
func TestSendSelectedListsTickedItems(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	body := "&__PARAMETERS=workflow%3Asendselected%28command%3D%7B7C34681A-CACA-4098-B099-41C768E782CE%7D%2Cws%3D%7B44A7E7A9" +
		"-A33D-4F3A-A83A-F321D8709D1F%7D%2Cwf%3D%7B6C088606-CB81-4173-8C54-ADEE3571E0FC%7D%29&__ISEVENT=1" +
		"&check_R1=1&hidden_R1=%7B3D457AFD-A5DC-4522-94DC-830E20D89FA4%7D%2Cen%2C2" +
		"&hidden_R2=%7BEE5C140A-3FAA-4D3D-B427-46C9CF5F7E5F%7D%2Cen%2C1"
	ops := postback(c, workbox, body)
	if len(ops) != 1 {
		t.Fatalf("got %d operations, want 1 for the ticked item", len(ops))
	}
	if ops[0].Item.ID != "3d457afd-a5dc-4522-94dc-830e20d89fa4" || ops[0].Item.Version != 2 || ops[0].StatusChange == nil {
		t.Errorf("operation = %+v, item %+v", ops[0].StatusChange, ops[0].Item)
	}
}

// TestMalformedWorkflowMessageRefused pins that a workflow command message
// that cannot be read is refused rather than passed unvalidated.
func TestMalformedWorkflowMessageRefused(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	ops := postback(c, contentEditor, "&__PARAMETERS=item%3Aworkflow%28id%3D%7BA%2Ccommandid%3D%7BB%7D%7D%29&__ISEVENT=1")
	if len(ops) != 1 || ops[0].Refuse == "" {
		t.Fatalf("got %+v, want one refused operation", ops)
	}
	status, contentType, body := c.Reject(ops, 409, "x <b>", nil)
	if status != 409 || !strings.HasPrefix(contentType, "text/plain") || string(body) != "x &lt;b&gt;" {
		t.Errorf("Reject = %d %q %q, want 409 with escaped plain text", status, contentType, body)
	}
}

// TestConfiguredMessageRunsCommand pins the configurable message table: a
// module's own workflow message, here Worxbox's item:compositeworkflow with
// item:workflow's parameters, is classified like the built-in ones.
func TestConfiguredMessageRunsCommand(t *testing.T) {
	c := sitecore.New(sitecore.Config{WorkflowMessages: map[string]sitecore.WorkflowMessage{"item:compositeworkflow": {AsksToSave: true}}})
	body := "&__PARAMETERS=item%3Acompositeworkflow%28id%3D%7B7DB3B587-2DDE-440D-BFF6-4192C57C6D2D%7D%2Clanguage%3Den" +
		"%2Cversion%3D3%2Ccommandid%3D%7B7C34681A-CACA-4098-B099-41C768E782CE%7D%2Cui%3D1%29&__MODIFIED=&__ISEVENT=1"
	ops := postback(c, contentEditor, body)
	if len(ops) != 1 || ops[0].StatusChange == nil || ops[0].StatusChange.CommandID != exampleCmd || ops[0].Item.ID != exampleItem {
		t.Fatalf("got %+v, want the configured message's command on the item", ops)
	}
	if ops := postback(sitecore.New(sitecore.Config{}), contentEditor, body); len(ops) != 0 {
		t.Errorf("without the configuration: %d operations, want 0", len(ops))
	}
}

const currentItem = "&__CurrentItem=sitecore%3A%2F%2Fmaster%2F%7B7DB3B587-2DDE-440D-BFF6-4192C57C6D2D%7D%3Flang%3Den%26ver%3D3"

// TestContentEditorSaveFiresSaved pins that item:save fires item:saved
// for the editor's context item, read from __CurrentItem.
func TestContentEditorSaveFiresSaved(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	ops := postback(c, contentEditor, "&__PARAMETERS=item%3Asave&__MODIFIED=1&__ISEVENT=1"+currentItem)
	if len(ops) != 1 || !ops[0].HasEvent(dispatch.EventItemSaved) {
		t.Fatalf("got %+v, want one item:saved", ops)
	}
	if it := ops[0].Item; it.ID != exampleItem || it.Language != "en" || it.Version != 3 {
		t.Errorf("Item = %+v, want the context item", it)
	}
	c.Complete(ops, 200, nil, []byte(`{"commands":[{"command":"Eval","value":"scForm.postRequest('','','','item:refresh')"}]}`))
	if !ops[0].Succeeded {
		t.Error("Succeeded = false after a save without an Alert")
	}
}

// TestDeleteFiresAfterConfirmation pins that item:delete fires only when
// the continuation confirms with "yes".
func TestDeleteFiresAfterConfirmation(t *testing.T) {
	for _, tc := range []struct {
		answer string
		fires  bool
	}{{"yes", true}, {"no", false}} {
		c := sitecore.New(sitecore.Config{})
		first := postback(c, contentEditor, "&__PARAMETERS=item%3Adelete&__ISEVENT=1"+currentItem)
		c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p1"},{"command":"Confirm","value":"Are you sure?"}]}`))
		if len(first) != 1 || first[0].Succeeded {
			t.Fatalf("%s: first request %+v, want one operation that waits", tc.answer, first)
		}
		cont := postback(c, contentEditor, "&__RESULT="+tc.answer+"&__PIPELINE=p1")
		if !tc.fires {
			if !runsNothing(cont) {
				t.Errorf("answer %q: %+v, want nothing that changes an item", tc.answer, cont)
			}
			continue
		}
		c.Complete(cont, 200, nil, []byte(`{"commands":[]}`))
		if len(cont) != 1 || !cont[0].Succeeded || !cont[0].HasEvent(dispatch.EventItemDeleted) || cont[0].Item.ID != exampleItem {
			t.Errorf("answer yes: %+v, want item:deleted of the context item", cont)
		}
	}
}

// TestRenameTakesNameFromDialog pins that item:rename's new name comes
// from the continuation's __RESULT.
func TestRenameTakesNameFromDialog(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	first := postback(c, contentEditor, "&__PARAMETERS=item%3Arename%28id%3D%7B7DB3B587-2DDE-440D-BFF6-4192C57C6D2D%7D%29&__ISEVENT=1")
	c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p2"},{"command":"Input","value":"New name:"}]}`))
	cont := postback(c, contentEditor, "&__RESULT=summer-festival&__PIPELINE=p2")
	c.Complete(cont, 200, nil, []byte(`{"commands":[]}`))
	if len(cont) != 1 || !cont[0].Succeeded || !cont[0].HasEvent(dispatch.EventItemRenamed) || cont[0].Item.Name != "summer-festival" {
		t.Errorf("got %+v, want item:renamed to summer-festival", cont)
	}
}

// TestDialogOperationsTakeTheirResult pins what the continuation of the
// Content Editor's move, duplicate and version delete posts: the target
// item, the copy's name, and the confirmation.
func TestDialogOperationsTakeTheirResult(t *testing.T) {
	run := func(message, answer string) []*dispatch.Operation {
		c := sitecore.New(sitecore.Config{})
		first := postback(c, contentEditor, "&__PARAMETERS="+url.QueryEscape(message)+"&__ISEVENT=1"+currentItem)
		c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p9"}]}`))
		ops := postback(c, contentEditor, "&__RESULT="+url.QueryEscape(answer)+"&__PIPELINE=p9")
		c.Complete(ops, 200, nil, []byte(`{"commands":[]}`))
		return ops
	}

	moved := run("item:moveto", "{0DB0CE8C-77A3-4969-903F-138C626483D1}")
	if len(moved) != 1 || !moved[0].Succeeded || !moved[0].HasEvent(dispatch.EventItemMoved) || moved[0].Item.ParentID != "0db0ce8c-77a3-4969-903f-138c626483d1" {
		t.Errorf("moveto: %+v, want item:moved under the target", moved)
	}

	copied := run("item:duplicate", "spring-copy")
	if len(copied) != 1 || !copied[0].Succeeded || !copied[0].HasEvent(dispatch.EventItemCopied) {
		t.Fatalf("duplicate: %+v, want item:copied", copied)
	}
	if src := copied[0].Events[0].Source; src == nil || src.ID != exampleItem || copied[0].Item.Name != "spring-copy" {
		t.Errorf("duplicate: Source %+v, Copy %+v; want the context item copied as spring-copy", src, copied[0].Item)
	}

	removed := run("item:deleteversion", "yes")
	if len(removed) != 1 || !removed[0].Succeeded || !removed[0].HasEvent(dispatch.EventItemVersionRemoved) || removed[0].Item.Version != 3 {
		t.Errorf("deleteversion: %+v, want item:versionRemoved of version 3", removed)
	}
	if ops := run("item:deleteversion", "no"); !runsNothing(ops) {
		t.Errorf("deleteversion answered no: %+v, want nothing that changes an item", ops)
	}
}

// TestAddMasterCreatesUnderItem pins that item:addmaster fires item:added
// for a new item below the context item, from the template in master and
// with the name the dialog posted.
func TestAddMasterCreatesUnderItem(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	msg := "item:addmaster(master={5CDB13E9-295A-4473-8F44-3FD03D3D4740})"
	first := postback(c, contentEditor, "&__PARAMETERS="+url.QueryEscape(msg)+"&__ISEVENT=1"+currentItem)
	c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p7"}]}`))
	ops := postback(c, contentEditor, "&__RESULT=winter-menu&__PIPELINE=p7")
	c.Complete(ops, 200, nil, []byte(`{"commands":[]}`))
	if len(ops) != 1 || !ops[0].Succeeded || !ops[0].HasEvent(dispatch.EventItemAdded) {
		t.Fatalf("got %+v, want item:added", ops)
	}
	it := ops[0].Item
	if it.Name != "winter-menu" || it.ParentID != exampleItem || it.TemplateID != "5cdb13e9-295a-4473-8f44-3fd03d3d4740" {
		t.Errorf("Item = %+v, want winter-menu from the template below the context item", it)
	}
}

// TestSendAllReadsItemsPageByPage pins the read of "send all". It searches
// for the state's id as the index stores it, and reads a second page while
// the total reports more. A version whose stored state differs from the
// index is skipped. Each item version read then gets its own command.
func TestSendAllReadsItemsPageByPage(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	body := "&__PARAMETERS=workflow%3Asendall%28command%3D%7B7C34681A-CACA-4098-B099-41C768E782CE%7D%2Cws%3D%7B44A7E7A9" +
		"-A33D-4F3A-A83A-F321D8709D1F%7D%2Cwf%3D%7B6C088606-CB81-4173-8C54-ADEE3571E0FC%7D%29&__ISEVENT=1"
	ops := postback(c, workbox, body)
	if len(ops) != 1 || ops[0].StatusChange == nil || !ops[0].StatusChange.ItemsUnknown || len(ops[0].Lookups) != 1 {
		t.Fatalf("got %+v, want one command on unknown items with one read", ops)
	}
	op := ops[0]
	if first := string(op.Lookups[0].Body); !strings.Contains(first, `"state":"44a7e7a9a33d4f3aa83af321d8709d1f"`) || !strings.Contains(first, `"pageIndex":0`) {
		t.Errorf("first read = %s, want the state as 32 lower-case digits and page 0", first)
	}

	const state = `"innerItem":{"workflow":{"workflowState":{"stateId":"44a7e7a9a33d4f3aa83af321d8709d1f"}}}`
	page := func(total int, results ...string) []byte {
		return []byte(`{"data":{"search":{"totalCount":` + strconv.Itoa(total) + `,"results":[` + strings.Join(results, ",") + `]}}}`)
	}
	// A first page that is full, as a page of 500 would be, announces a
	// second one.
	full := make([]string, 500)
	for i := range full {
		full[i] = `{"itemId":"3d457afda5dc452294dc830e20d89fa4","version":` + strconv.Itoa(i+1) + `,"language":{"name":"en"},` + state + `}`
	}
	op.Lookups[0].Apply(op, http.StatusOK, page(502, full...))
	if len(op.Lookups) != 2 || !strings.Contains(string(op.Lookups[1].Body), `"pageIndex":1`) {
		t.Fatalf("after a full first page: %d reads, want a second for page 1", len(op.Lookups))
	}
	op.Lookups[1].Apply(op, http.StatusOK, page(502,
		`{"itemId":"ee5c140a3faa4d3db42746c9cf5f7e5f","version":"1","language":{"name":"de-DE"},`+state+`}`,
		`{"itemId":"0de95ae441ab4d019eb067441b7c2450","version":2,"language":{"name":"en"},"innerItem":{"workflow":{"workflowState":{"stateId":"{190B1C84-F1BE-47ED-AA41-F42193D9C8FC}"}}}}`))
	if len(op.Fanout) != 501 {
		t.Fatalf("fan-out = %d commands, want 501 (500 + 1; the version that left the state skipped)", len(op.Fanout))
	}
	last := op.Fanout[500]
	if last.Item.ID != "ee5c140a-3faa-4d3d-b427-46c9cf5f7e5f" || last.Item.Language != "de-DE" || last.Item.Version != 1 ||
		last.StatusChange.CommandID != exampleCmd || last.StatusChange.FromState != "44a7e7a9-a33d-4f3a-a83a-f321d8709d1f" || last.StatusChange.ItemsUnknown {
		t.Errorf("last command = %+v on %+v", last.StatusChange, last.Item)
	}

	// A read that fails leaves the command on unknown items.
	failed := postback(c, workbox, body)[0]
	failed.Lookups[0].Apply(failed, http.StatusUnauthorized, []byte(`{"error":"unauthorized"}`))
	if failed.Fanout != nil || failed.StatusChange == nil || !failed.StatusChange.ItemsUnknown {
		t.Errorf("after a failed read: fan-out %d, change %+v; want the command on unknown items", len(failed.Fanout), failed.StatusChange)
	}
}

// TestBulkAlertConfirmsEachItem pins a bulk command that Sitecore ran on
// some ticked items and refused on others: the response's alert names
// none, so each item's state, read before forwarding, is read again, and
// only an item that has left it succeeds.
func TestBulkAlertConfirmsEachItem(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	body := "&__PARAMETERS=workflow%3Asendselected%28command%3D%7B7C34681A-CACA-4098-B099-41C768E782CE%7D%2Cws%3D%7B44A7E7A9" +
		"-A33D-4F3A-A83A-F321D8709D1F%7D%2Cwf%3D%7B6C088606-CB81-4173-8C54-ADEE3571E0FC%7D%29&__ISEVENT=1" +
		"&check_R1=1&hidden_R1=%7B3D457AFD-A5DC-4522-94DC-830E20D89FA4%7D%2Cen%2C2" +
		"&check_R2=1&hidden_R2=%7BEE5C140A-3FAA-4D3D-B427-46C9CF5F7E5F%7D%2Cen%2C1"
	ops := postback(c, workbox, body)
	if len(ops) != 2 || ops[0].StatusChange.FromState != "44a7e7a9-a33d-4f3a-a83a-f321d8709d1f" {
		t.Fatalf("got %d operations, first leaving %q; want 2 leaving ws", len(ops), ops[0].StatusChange.FromState)
	}
	state := func(id string) []byte {
		return []byte(`{"data":{"item":{"workflow":{"workflowState":{"stateId":"` + id + `"}}}}}`)
	}
	const ws, approved = "44A7E7A9A33D4F3AA83AF321D8709D1F", "fca998c50cc34f9194d80a4e6caece88"

	// The first item is in ws; the second has been approved meanwhile.
	for i, before := range []string{ws, approved} {
		if len(ops[i].Lookups) != 1 {
			t.Fatalf("operation %d: %d reads before forwarding, want its state", i, len(ops[i].Lookups))
		}
		ops[i].Lookups[0].Apply(ops[i], http.StatusOK, state(before))
	}
	if got := ops[1].StatusChange.FromState; got != "fca998c5-0cc3-4f91-94d8-0a4e6caece88" {
		t.Errorf("FromState of the approved item = %q, want the state read", got)
	}

	c.Complete(ops, 200, nil, []byte(`{"commands":[{"command":"Alert","value":"The item is no longer in the workflow state."}]}`))
	for i, op := range ops {
		if op.Succeeded || len(op.Confirm) != 1 {
			t.Fatalf("operation %d after the alert: succeeded %v, %d reads; want a read to confirm", i, op.Succeeded, len(op.Confirm))
		}
		if !strings.Contains(string(op.Confirm[0].Body), `"itemId":"`+op.Item.ID+`"`) {
			t.Errorf("operation %d reads %s, want its item", i, op.Confirm[0].Body)
		}
	}
	ops[0].Confirm[0].Apply(ops[0], http.StatusOK, state(approved))
	ops[1].Confirm[0].Apply(ops[1], http.StatusOK, state(approved))
	if !ops[0].Succeeded {
		t.Error("the item that moved on did not succeed")
	}
	if ops[1].Succeeded {
		t.Error("the item that was approved before the request succeeded")
	}
}

// TestRibbonDatasourcesFromLayout pins the data sources of the Experience
// Editor's workflow command. They are read from both layouts (by id, by
// path and below the page), without the page item. Each data source's
// state is read, and one in no workflow state is dropped. After a response
// without an alert, the page succeeds at once, and a data source only once
// its state has changed, since Sitecore skips those whose state lacks the
// command.
func TestRibbonDatasourcesFromLayout(t *testing.T) {
	c := sitecore.New(sitecore.Config{DatasourceItems: true})
	ops := ribbonCommand(c, "1", false)
	if len(ops) != 1 || len(ops[0].Lookups) != 1 {
		t.Fatalf("got %d operations, want the page's command with the read of its layout", len(ops))
	}
	page := ops[0]
	layout := `{"data":{"item":{"path":"/sitecore/content/Home/page",` +
		`"shared":{"value":"<r><d id=\"{FE5D7FDF-89C0-4D99-9AA3-B5FBD009C9F3}\"><r ds=\"{3D457AFD-A5DC-4522-94DC-830E20D89FA4}\" id=\"{X}\"/><r ds=\"\" id=\"{Y}\"/></d></r>"},` +
		`"final":{"value":"<r xmlns:s=\"s\"><d id=\"{FE5D7FDF-89C0-4D99-9AA3-B5FBD009C9F3}\"><r s:ds=\"local:/Data/Promo\"/><r s:ds=\"/sitecore/content/Shared/Footer\"/><r s:ds=\"{7DB3B587-2DDE-440D-BFF6-4192C57C6D2D}\"/><r s:ds=\"query:./*\"/></d></r>"}}}}`
	page.Lookups[0].Apply(page, http.StatusOK, []byte(layout))
	if len(page.Fanout) != 4 || len(page.Lookups) != 4 {
		t.Fatalf("fan-out %d, reads %d; want the page and three data sources, with a state read each", len(page.Fanout), len(page.Lookups))
	}
	wantItems := []string{"7db3b587-2dde-440d-bff6-4192c57c6d2d", "3d457afd-a5dc-4522-94dc-830e20d89fa4", "/sitecore/content/Home/page/Data/Promo", "/sitecore/content/Shared/Footer"}
	for i, op := range page.Fanout {
		if got := op.Item.ID + op.Item.Path; got != wantItems[i] {
			t.Errorf("operation %d is on %q, want %q", i, got, wantItems[i])
		}
	}

	state := func(id string) []byte {
		return []byte(`{"data":{"item":{"itemId":"` + id + `","workflow":{"workflowState":{"stateId":"190b1c84f1be47edaa41f42193d9c8fc"}}}}}`)
	}
	page.Lookups[1].Apply(page, http.StatusOK, state("3d457afda5dc452294dc830e20d89fa4"))
	page.Lookups[2].Apply(page, http.StatusOK, state("ee5c140a3faa4d3db42746c9cf5f7e5f"))
	page.Lookups[3].Apply(page, http.StatusOK, []byte(`{"data":{"item":{"itemId":"0de95ae441ab4d019eb067441b7c2450","workflow":null}}}`))
	if got := page.Fanout[2].Item.ID; got != "ee5c140a-3faa-4d3d-b427-46c9cf5f7e5f" {
		t.Errorf("the data source by path has id %q after its read, want the id read", got)
	}
	if page.Fanout[3].StatusChange != nil {
		t.Error("the data source in no workflow state still runs the command")
	}

	ops = page.Fanout
	c.Complete(ops, 200, nil, []byte(`{"commands":[{"command":"Eval","value":"scForm.postRequest('','','','item:refresh')"}]}`))
	if !ops[0].Succeeded || len(ops[0].Confirm) != 0 {
		t.Errorf("page: succeeded %v with %d reads after, want success at once", ops[0].Succeeded, len(ops[0].Confirm))
	}
	for i := 1; i <= 2; i++ {
		if ops[i].Succeeded || len(ops[i].Confirm) != 1 {
			t.Fatalf("data source %d: succeeded %v with %d reads after, want one read to confirm", i, ops[i].Succeeded, len(ops[i].Confirm))
		}
	}
	ops[1].Confirm[0].Apply(ops[1], http.StatusOK, []byte(`{"data":{"item":{"workflow":{"workflowState":{"stateId":"46da537610dc4b66b464afdaa29de84f"}}}}}`))
	ops[2].Confirm[0].Apply(ops[2], http.StatusOK, state("ee5c140a3faa4d3db42746c9cf5f7e5f"))
	if !ops[1].Succeeded {
		t.Error("the data source that moved on did not succeed")
	}
	if ops[2].Succeeded {
		t.Error("the data source that Sitecore left in its state succeeded")
	}
}

// TestRibbonDatasourcesThroughDialog pins the comment dialog of the
// Experience Editor's workflow command with data sources. The first
// request runs nothing. Its continuation runs the command, with the
// comment, on the page and on the data source in a workflow state, even
// though another data source is in none.
func TestRibbonDatasourcesThroughDialog(t *testing.T) {
	c := sitecore.New(sitecore.Config{DatasourceItems: true})
	page := ribbonCommand(c, "0", false)[0]
	page.Lookups[0].Apply(page, http.StatusOK, []byte(`{"data":{"item":{"path":"/p","shared":{"value":"<r><d><r ds=\"{3D457AFD-A5DC-4522-94DC-830E20D89FA4}\"/><r ds=\"{EE5C140A-3FAA-4D3D-B427-46C9CF5F7E5F}\"/></d></r>"},"final":null}}}`))
	page.Lookups[1].Apply(page, http.StatusOK, []byte(`{"data":{"item":{"workflow":{"workflowState":{"stateId":"190b1c84f1be47edaa41f42193d9c8fc"}}}}}`))
	page.Lookups[2].Apply(page, http.StatusOK, []byte(`{"data":{"item":{"workflow":null}}}`))
	first := page.Fanout
	for i, op := range first {
		if op.StatusChange != nil {
			t.Errorf("operation %d of the first request runs a command, want none before the comment", i)
		}
	}
	c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p1"}]}`))

	cont := postback(c, "/sitecore/shell/Applications/WebEdit/WebEditRibbon.aspx", "&__RESULT=Ready&__PIPELINE=p1")
	if len(cont) != 2 {
		t.Fatalf("continuation: %d operations, want the page and the data source in a workflow state", len(cont))
	}
	for i, op := range cont {
		if op.StatusChange == nil || op.Comments != "Ready" {
			t.Errorf("continuation operation %d: change %+v, comments %q; want the command with the comment", i, op.StatusChange, op.Comments)
		}
	}
	if got := cont[1].StatusChange.FromState; got != "190b1c84-f1be-47ed-aa41-f42193d9c8fc" {
		t.Errorf("the data source leaves %q, want the state read on the first request", got)
	}
}

// modifiedWorkflow is example A's item:workflow message sent with unsaved
// edits (__MODIFIED=1), so Sitecore first prompts whether to save.
func modifiedWorkflow(ui string) string {
	return strings.Replace(workflowParams(ui), "&__MODIFIED=", "&__MODIFIED=1", 1) + currentItem
}

// TestSaveFirstYesRunsInItemSave pins the "yes" to "save first?" of a
// command that needs no comment: the browser posts item:save with a
// postaction that resumes the pipeline, and Sitecore saves and runs the
// command in that request, so it carries both.
func TestSaveFirstYesRunsInItemSave(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	first := postback(c, contentEditor, modifiedWorkflow("1"))
	if len(first) != 1 || first[0].StatusChange != nil {
		t.Fatalf("first request: %+v, want the command held back", first)
	}
	c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p7"},{"command":"CheckModified","value":"Do you want to save the changes to the item?","response":"true"}]}`))

	resume := "&__PARAMETERS=" + url.QueryEscape("item:save(postaction=pipeline:resume(pipelineId=p7))") + "&__ISEVENT=1" + currentItem
	ops := postback(c, contentEditor, resume)
	if len(ops) != 2 {
		t.Fatalf("item:save that resumes: %d operations, want the command and the save", len(ops))
	}
	command, save := ops[0], ops[1]
	if command.StatusChange == nil || command.StatusChange.CommandID != exampleCmd || command.Comments != "" {
		t.Errorf("command = %+v, comments %q; want it to run now without a comment", command.StatusChange, command.Comments)
	}
	if !save.HasEvent(dispatch.EventItemSaved) || save.Item.ID != exampleItem {
		t.Errorf("save = %+v on %+v, want item:saved of the context item", save.Events, save.Item)
	}
	c.Complete(ops, 200, nil, []byte(`{"commands":[{"command":"Eval","value":"scForm.postRequest('','','','item:refresh')"}]}`))
	if !command.Succeeded || !save.Succeeded {
		t.Errorf("succeeded: command %v, save %v; want both", command.Succeeded, save.Succeeded)
	}
}

// TestSaveFirstNoThenComment pins the "no" to "save first?" of a command
// that needs a comment: that continuation runs nothing yet and is not
// validated, and the next one, with the comment, runs the command.
func TestSaveFirstNoThenComment(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	first := postback(c, contentEditor, modifiedWorkflow("0"))
	c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p8"},{"command":"CheckModified","value":"Save?","response":"true"}]}`))

	no := postback(c, contentEditor, "&__RESULT=no&__PIPELINE=p8")
	if len(no) != 1 || no[0].StatusChange != nil {
		t.Fatalf("answer no: %+v, want the command held for its comment", no)
	}
	c.Complete(no, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p8"},{"command":"ShowModalDialog","value":"/sitecore/shell/default.aspx?xmlcontrol=WorkflowComment"}]}`))
	if no[0].Succeeded {
		t.Error("the answer no succeeded, want nothing run")
	}

	comment := postback(c, contentEditor, "&__RESULT=Checked&__PIPELINE=p8")
	if len(comment) != 1 || comment[0].StatusChange == nil || comment[0].Comments != "Checked" {
		t.Fatalf("comment: %+v, want the command with the comment", comment)
	}
}

// TestHeldCommandWithoutDialogIsUnchecked pins a request that was to open
// the comment dialog but whose response opened none and refused nothing.
// The command ran without validation, so the operation is marked for the
// handler to log. It fires, as a 200 without an alert shows that it ran.
func TestHeldCommandWithoutDialogIsUnchecked(t *testing.T) {
	c := sitecore.New(sitecore.Config{})
	ops := postback(c, contentEditor, workflowParams("0"))
	c.Complete(ops, 200, nil, []byte(`{"commands":[{"command":"Eval","value":"scForm.postRequest('','','','item:refresh')"}]}`))
	if !ops[0].Unchecked || ops[0].StatusChange == nil || ops[0].StatusChange.CommandID != exampleCmd {
		t.Errorf("unchecked %v, change %+v; want the command marked unchecked", ops[0].Unchecked, ops[0].StatusChange)
	}
	if !ops[0].Succeeded {
		t.Error("the unchecked command did not succeed, want it to fire")
	}
}

// TestValidateOnFirstRequest pins the option. The request that opens the
// comment dialog carries the status change, so it is validated there, and
// fires nothing. The continuation runs the command, marked as validated.
func TestValidateOnFirstRequest(t *testing.T) {
	c := sitecore.New(sitecore.Config{ValidateOnFirstRequest: true})
	first := postback(c, contentEditor, workflowParams("0"))
	if len(first) != 1 || first[0].StatusChange == nil || first[0].Validated {
		t.Fatalf("first request: %+v, want the command to validate", first)
	}
	// Validated here, the command fires if it runs here after all.
	ranAtOnce := postback(c, contentEditor, workflowParams("0"))
	c.Complete(ranAtOnce, 200, nil, []byte(`{"commands":[{"command":"Eval","value":"scForm.postRequest('','','','item:refresh')"}]}`))
	if !ranAtOnce[0].Succeeded || ranAtOnce[0].Unchecked {
		t.Errorf("ran without the dialog: succeeded %v, unchecked %v; want it fired and not unchecked", ranAtOnce[0].Succeeded, ranAtOnce[0].Unchecked)
	}

	c.Complete(first, 200, nil, []byte(`{"commands":[{"command":"SetPipeline","value":"p9"},{"command":"ShowModalDialog","value":"/sitecore/shell/default.aspx?xmlcontrol=WorkflowComment"}]}`))
	if first[0].Succeeded {
		t.Error("the request that opened the dialog succeeded, want nothing fired")
	}
	cont := postback(c, contentEditor, "&__RESULT=Fine&__PIPELINE=p9")
	if len(cont) != 1 || cont[0].StatusChange == nil || !cont[0].Validated || cont[0].Comments != "Fine" {
		t.Fatalf("continuation: %+v, want the command, validated, with the comment", cont)
	}
}

// TestRibbonDatasourcesUnreadable pins that a layout read that fails, as
// for an editor's cookie without enrich_authorization, leaves the command
// on items the sidecar does not know, which the handler refuses when the
// command has validation actions.
func TestRibbonDatasourcesUnreadable(t *testing.T) {
	c := sitecore.New(sitecore.Config{DatasourceItems: true})
	page := ribbonCommand(c, "1", false)[0]
	page.Lookups[0].Apply(page, http.StatusUnauthorized, []byte(`{"error":"unauthorized"}`))
	if page.StatusChange == nil || !page.StatusChange.ItemsUnknown || len(page.Fanout) != 0 {
		t.Errorf("after a failed layout read: change %+v, fan-out %d; want the command on unknown items", page.StatusChange, len(page.Fanout))
	}
}
