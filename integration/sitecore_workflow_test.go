package integration

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmshooks/caddy-cms-webhooks/integration/sitecore"
)

// scSampleWorkflow is Sitecore's stock Sample Workflow keyed by its item
// ids, as caddyfile-examples/sitecore.Caddyfile declares it.
const scSampleWorkflow = `workflow "Sample Workflow" {
	state draft "Draft" id {190B1C84-F1BE-47ED-AA41-F42193D9C8FC} icon Office/16x16/edit.png
	state awaiting "Awaiting Approval" id {46DA5376-10DC-4B66-B464-AFDAA29DE84F} icon Office/16x16/document_check.png
	state approved "Approved" final id {FCA998C5-0CC3-4F91-94D8-0A4E6CAECE88} icon Office/16x16/check.png
	command submit draft awaiting id {CF6A557D-0B86-4432-BF47-302A18238E74}
	command approve awaiting approved id {F744CC9C-4BB1-4B38-8D5C-1E9CE7F45D2D}
	command reject awaiting draft id {E44F2D64-1EED-42FF-A7DA-C07B834096AC}
}`

// authoringCommand returns an Authoring API executeWorkflowCommand request
// for version 1 in English of an item.
func authoringCommand(commandID, itemID, comments string) map[string]any {
	return map[string]any{
		"operationName": "Advance",
		"query": fmt.Sprintf(`mutation Advance { executeWorkflowCommand(input: { commandId: %q, comments: %q, item: { itemId: %q, database: "master", language: "en", version: 1 } }) { successful error } }`,
			scBraced(commandID), comments, scBraced(itemID)),
	}
}

// pagesCommand returns a Pages executeWorkflowCommand request for version 1
// in English of an item.
func pagesCommand(commandID, itemID, comments string) map[string]any {
	return map[string]any{
		"operationName": "RunCommand",
		"query": fmt.Sprintf(`mutation RunCommand { executeWorkflowCommand(input: { itemId: %q, itemVersion: 1, commandId: %q, comments: %q, language: "en", site: "website" }) { completed nextStateId error } }`,
			itemID, commandID, comments),
	}
}

// directCommand runs a workflow command on the emulator, without the
// sidecar, and fails unless it succeeded.
func (s *scCMS) directCommand(t *testing.T, commandID, itemID string) {
	t.Helper()
	data := s.direct(t, fmt.Sprintf(`mutation { executeWorkflowCommand(input: {commandId: %q, item: {itemId: %q, language: "en"}}) { successful error } }`, commandID, itemID))
	if field(data, "executeWorkflowCommand", "successful") != true {
		t.Fatalf("preparing the workflow state of %s: the command failed: %v", itemID, data)
	}
}

// stateOf returns the id of the workflow state that the emulator stores for
// the latest English version of an item.
func (s *scCMS) stateOf(t *testing.T, itemID string) string {
	t.Helper()
	st, ok := s.emu.WorkflowState(itemID, "en", 0)
	if !ok {
		t.Fatalf("the emulator has no workflow state for item %s", itemID)
	}
	return st.ID
}

// commandRequests counts the requests that reached the emulator and ran
// executeWorkflowCommand.
func (s *scCMS) commandRequests() int {
	n := 0
	for _, r := range s.emu.Requests() {
		if bytes.Contains(r.Body, []byte("executeWorkflowCommand")) {
			n++
		}
	}
	return n
}

// wantStateObject compares a WorkflowState object of an action payload
// with the emulator's state.
func wantStateObject(t *testing.T, what string, got any, want sitecore.WorkflowState) {
	t.Helper()
	wantStrings(t, what, got, map[string]string{
		"StateID":     scBraced(want.ID),
		"DisplayName": want.DisplayName,
		"Icon":        want.Icon,
	})
	if f := field(got, "FinalState"); f != want.Final {
		t.Errorf("%s FinalState = %v, want %v", what, f, want.Final)
	}
}

// wantNoCommandRan checks that a blocked command never reached the
// emulator and left the item in its state.
func wantNoCommandRan(t *testing.T, s *scCMS, itemID, state string, requestsBefore, eventsBefore int) {
	t.Helper()
	if n := s.commandRequests(); n != requestsBefore {
		t.Errorf("the emulator got %d executeWorkflowCommand requests after the block, want none", n-requestsBefore)
	}
	if n := len(s.emu.WorkflowEvents()); n != eventsBefore {
		t.Errorf("the emulator ran %d workflow commands after the block, want none", n-eventsBefore)
	}
	if got := s.stateOf(t, itemID); got != state {
		t.Errorf("item %s is in state %s after the block, want %s", itemID, got, state)
	}
}

// isActionFor matches a workflow action request by its path and the id of
// its DataItem.
func isActionFor(path, itemID string) func(recorded) bool {
	return func(r recorded) bool {
		return r.Path == path && str(r.JSON, "DataItem", "Id") == itemID
	}
}

// Workflow commands through the Authoring API and the Pages endpoint call
// the validation actions before the CMS, respond with 409 in GraphQL shape
// when one rejects, and fire the command's and the target state's submit
// actions only when the CMS ran the command.
func TestSitecoreWorkflowCommandRunsActions(t *testing.T) {
	v := newValidator(t)
	actions := newReceiver(t)
	s := startSitecoreSidecar(t, fmt.Sprintf(`
%s
validation_action "Submit check" {
	command submit
	url %s
}
validation_action "Legal review" {
	command approve
	url %s
}
submit_action "Notify reviewers" {
	command submit
	url %s
}
submit_action "Review queue" {
	state awaiting
	url %s
}
submit_action "Publish notice" {
	command approve
	url %s
}
delivery {
	workers 1
}`, scSampleWorkflow, v.URL("/submit-check"), v.URL("/legal"),
		actions.URL("/notify"), actions.URL("/queue"), actions.URL("/publish")))

	wf, ok := s.emu.Workflow(sitecore.SampleWorkflowID)
	if !ok {
		t.Fatal("the emulator has no Sample Workflow")
	}
	states := map[string]sitecore.WorkflowState{}
	for _, st := range wf.States {
		states[st.ID] = st
	}
	draft, awaiting := states[sitecore.DraftStateID], states[sitecore.AwaitingApprovalStateID]

	// wantSubmitActions checks the submit actions of a Submit that moved
	// the item from Draft to Awaiting Approval.
	wantSubmitActions := func(t *testing.T, itemID, comments string) {
		t.Helper()
		command := actions.waitFor(t, "submit action on the command", isActionFor("/notify", itemID))
		p := command.JSON
		if got := p["PreviousState"]; str(got, "StateID") != "{190B1C84-F1BE-47ED-AA41-F42193D9C8FC}" {
			t.Errorf("command action PreviousState.StateID = %q, want Draft's {190B1C84-F1BE-47ED-AA41-F42193D9C8FC}", str(got, "StateID"))
		}
		wantStateObject(t, "command action PreviousState", p["PreviousState"], draft)
		wantStateObject(t, "command action NextState", p["NextState"], awaiting)
		wantStrings(t, "command action", p, map[string]string{
			"WorkflowName": wf.Name,
			"UserName":     scEditor,
			"ActionName":   "Notify reviewers",
		})
		wantComments := []any{}
		if comments != "" {
			wantComments = []any{map[string]any{"Key": "Comments", "Value": comments}}
		}
		if got, _ := json.Marshal(p["Comments"]); string(got) != string(mustJSON(t, wantComments)) {
			t.Errorf("command action Comments = %s, want %s", got, mustJSON(t, wantComments))
		}
		if _, ok := p["EventName"]; ok {
			t.Errorf("command action has an EventName key; Sitecore's action payloads have none")
		}
		if ct := command.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("command action Content-Type = %q, want application/json", ct)
		}

		onState := actions.waitFor(t, "submit action on the state", isActionFor("/queue", itemID)).JSON
		if next, ok := onState["NextState"]; !ok || next != nil {
			t.Errorf("state action NextState = %v (present %v), want null", next, ok)
		}
		wantStateObject(t, "state action PreviousState", onState["PreviousState"], draft)
		wantStrings(t, "state action", onState, map[string]string{"UserName": scEditor, "WorkflowName": wf.Name})
	}

	var wantActions []string
	t.Run("approve rejected by validator", func(t *testing.T) {
		id := s.newArticle(t, "rejected-approval")
		s.directCommand(t, sitecore.SubmitCommandID, id)
		requests, events := s.commandRequests(), len(s.emu.WorkflowEvents())

		message := "The legal team has not cleared this article."
		v.reject(message)
		resp := s.viaSidecar(t, sitecore.AuthoringPath, authoringCommand(sitecore.ApproveCommandID, id, "Looks fine"))
		if resp.Status != http.StatusConflict {
			t.Fatalf("approve: status %d, want 409: %.500s", resp.Status, resp.Body)
		}
		body := resp.object(t)
		errs, _ := body["errors"].([]any)
		if len(errs) == 0 || str(errs[0], "message") != message {
			t.Errorf("409 errors[0].message is not the validator's %q: %s", message, resp.Body)
		}
		if got := field(body, "data", "executeWorkflowCommand", "successful"); got != false {
			t.Errorf("409 data.executeWorkflowCommand.successful = %v, want false", got)
		}
		if got := str(body, "data", "executeWorkflowCommand", "error"); got != message {
			t.Errorf("409 data.executeWorkflowCommand.error = %q, want %q", got, message)
		}
		wantNoCommandRan(t, s, id, sitecore.AwaitingApprovalStateID, requests, events)

		calls := v.matching(isActionFor("/legal", id))
		if len(calls) != 1 {
			t.Fatalf("Legal review called %d times, want once:\n%s", len(calls), v.dump())
		}
		wantStateObject(t, "validation PreviousState", calls[0].JSON["PreviousState"], awaiting)
		wantStateObject(t, "validation NextState", calls[0].JSON["NextState"], states[sitecore.ApprovedStateID])
		wantStrings(t, "validation", calls[0].JSON, map[string]string{"UserName": scEditor, "ActionName": "Legal review"})
	})

	t.Run("submit accepted by validator", func(t *testing.T) {
		id := s.newArticle(t, "accepted-submit")
		v.accept()
		data := gqlData(t, "submit", s.viaSidecar(t, sitecore.AuthoringPath, authoringCommand(sitecore.SubmitCommandID, id, "Ready for review")))
		if got := field(data, "executeWorkflowCommand", "successful"); got != true {
			t.Fatalf("submit: successful = %v, want true", got)
		}
		if got := s.stateOf(t, id); got != sitecore.AwaitingApprovalStateID {
			t.Fatalf("the emulator has item %s in state %s, want Awaiting Approval", id, got)
		}
		if n := len(v.matching(isActionFor("/submit-check", id))); n != 1 {
			t.Errorf("Submit check called %d times, want once", n)
		}
		wantSubmitActions(t, id, "Ready for review")
		wantActions = append(wantActions, "/notify "+id, "/queue "+id)
	})

	t.Run("command in wrong state", func(t *testing.T) {
		id := s.newArticle(t, "still-draft")
		v.accept()
		data := gqlData(t, "approve of a draft", s.viaSidecar(t, sitecore.AuthoringPath, authoringCommand(sitecore.ApproveCommandID, id, "")))
		if got := field(data, "executeWorkflowCommand", "successful"); got != false {
			t.Fatalf("approve of a draft: successful = %v, want false from the emulator", got)
		}
		if got := s.stateOf(t, id); got != sitecore.DraftStateID {
			t.Errorf("the emulator has item %s in state %s, want Draft", id, got)
		}
	})

	t.Run("pages endpoint", func(t *testing.T) {
		id := s.newArticle(t, "pages-submit")
		v.accept()
		data := gqlData(t, "Pages submit", s.viaSidecar(t, sitecore.HorizonPath, pagesCommand(sitecore.SubmitCommandID, id, "")))
		if got := field(data, "executeWorkflowCommand", "completed"); got != true {
			t.Fatalf("Pages submit: completed = %v, want true", got)
		}
		if got := s.stateOf(t, id); got != sitecore.AwaitingApprovalStateID {
			t.Fatalf("the emulator has item %s in state %s, want Awaiting Approval", id, got)
		}
		wantSubmitActions(t, id, "")
		wantActions = append(wantActions, "/notify "+id, "/queue "+id)

		requests, events := s.commandRequests(), len(s.emu.WorkflowEvents())
		message := "Pages approval needs a legal sign-off."
		v.reject(message)
		resp := s.viaSidecar(t, sitecore.HorizonPath, pagesCommand(sitecore.ApproveCommandID, id, "Approve from Pages"))
		if resp.Status != http.StatusConflict {
			t.Fatalf("Pages approve: status %d, want 409: %.500s", resp.Status, resp.Body)
		}
		body := resp.object(t)
		errs, _ := body["errors"].([]any)
		if len(errs) == 0 || str(errs[0], "message") != message {
			t.Errorf("409 errors lack the validator's message %q: %s", message, resp.Body)
		}
		if got := field(body, "data", "executeWorkflowCommand", "completed"); got != false {
			t.Errorf("409 data.executeWorkflowCommand.completed = %v, want false", got)
		}
		if got := str(body, "data", "executeWorkflowCommand", "error"); got != message {
			t.Errorf("409 data.executeWorkflowCommand.error = %q, want %q", got, message)
		}
		wantNoCommandRan(t, s, id, sitecore.AwaitingApprovalStateID, requests, events)
	})
	if t.Failed() {
		return
	}

	// With one delivery worker, the actions of the last accepted command
	// arrive after any that the blocked commands, or the one the CMS
	// rejected, could have queued. So the receiver now has them all. Actions of one command
	// are queued together and may arrive in either order.
	var got []string
	for _, r := range actions.all() {
		got = append(got, r.Path+" "+str(r.JSON, "DataItem", "Id"))
	}
	slices.Sort(got)
	slices.Sort(wantActions)
	if strings.Join(got, "\n") != strings.Join(wantActions, "\n") {
		t.Errorf("submit actions received:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantActions, "\n"))
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// xmlTexts parses an XML document and returns its root element's name and
// the text of every leaf element by slash-separated path below the root,
// such as "PreviousState/StateID".
func xmlTexts(body []byte) (string, map[string]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var root string
	var stack []string
	var text strings.Builder
	texts := map[string]string{}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tk.Name.Local
			} else {
				stack = append(stack, tk.Name.Local)
			}
			text.Reset()
		case xml.CharData:
			text.Write(tk)
		case xml.EndElement:
			if len(stack) > 0 {
				texts[strings.Join(stack, "/")] = text.String()
				stack = stack[:len(stack)-1]
			}
			text.Reset()
		}
	}
	if root == "" {
		return "", nil, errors.New("no root element")
	}
	return root, texts, nil
}

// Webhooks with serialization xml send application/xml bodies that parse
// as XML: a submit action under the root data, an event handler under the
// root event.
func TestSitecoreXMLPayloadsParse(t *testing.T) {
	rc := newReceiver(t)
	s := startSitecoreSidecar(t, fmt.Sprintf(`
%s
submit_action "Notify translators" {
	command submit
	url %s
	serialization xml
}
event_handler "Search XML" {
	events item:saved
	url %s
	serialization xml
}`, scSampleWorkflow, rc.URL("/translators"), rc.URL("/search")))
	id := s.newArticle(t, "xml-article")

	gqlData(t, "updateItem", s.viaSidecar(t, sitecore.AuthoringPath, map[string]any{"query": fmt.Sprintf(
		`mutation { updateItem(input: {itemId: %q, language: "en", fields: [{name: "Headline", value: "Sent as XML"}]}) { item { itemId } } }`, id)}))
	data := gqlData(t, "submit", s.viaSidecar(t, sitecore.AuthoringPath, authoringCommand(sitecore.SubmitCommandID, id, "XML please")))
	if field(data, "executeWorkflowCommand", "successful") != true {
		t.Fatalf("submit failed: %v", data)
	}
	next := s.stateOf(t, id)

	byPath := func(p string) func(recorded) bool { return func(r recorded) bool { return r.Path == p } }
	cases := []struct {
		name  string
		path  string
		root  string
		texts map[string]string
	}{
		{
			name: "submit action",
			path: "/translators",
			root: "data",
			texts: map[string]string{
				"PreviousState/StateID": "{190B1C84-F1BE-47ED-AA41-F42193D9C8FC}",
				"NextState/StateID":     scBraced(next),
				"DataItem/Id":           id,
				"UserName":              scEditor,
			},
		},
		{
			name:  "event handler",
			path:  "/search",
			root:  "event",
			texts: map[string]string{"EventName": "item:saved", "Item/Id": id},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := rc.waitFor(t, tc.name, byPath(tc.path))
			if ct := got.Header.Get("Content-Type"); ct != "application/xml" {
				t.Errorf("Content-Type = %q, want exactly application/xml", ct)
			}
			root, texts, err := xmlTexts(got.Body)
			if err != nil {
				t.Fatalf("body does not parse as XML: %v\n%s", err, got.Body)
			}
			if root != tc.root {
				t.Errorf("root element = %q, want %q", root, tc.root)
			}
			for p, want := range tc.texts {
				if texts[p] != want {
					t.Errorf("%s = %q, want %q\n%s", p, texts[p], want, got.Body)
				}
			}
		})
	}
}

// startCaddyFile runs caddy with a Caddyfile as it is, with the environment
// that its {$NAME} placeholders read, and waits until the admin port and the
// site's port accept connections.
func startCaddyFile(t *testing.T, config string, port, adminPort int, env []string) *caddyServer {
	t.Helper()
	dir := t.TempDir()
	c := &caddyServer{
		URL:       fmt.Sprintf("http://127.0.0.1:%d", port),
		port:      port,
		adminPort: adminPort,
		logPath:   filepath.Join(dir, "caddy.log"),
		exited:    make(chan struct{}),
	}

	logFile, err := os.Create(c.logPath)
	if err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(caddyBin, "run", "--config", config, "--adapter", "caddyfile")
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	c.cmd.Env = append(append(os.Environ(),
		"XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
	), env...)
	if err := c.cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("starting %s: %v", caddyBin, err)
	}
	go func() {
		_ = c.cmd.Wait()
		logFile.Close()
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.stop(t)
		if t.Failed() {
			t.Logf("caddy log (%s):\n%s", c.logPath, c.log())
		}
	})

	if err := c.waitReady(15 * time.Second); err != nil {
		t.Fatalf("caddy did not start: %v\ncaddy log:\n%s", err, c.log())
	}
	return c
}

// The Sitecore example Caddyfile, run as it is in front of the emulator,
// sends the search index an enriched item:saved for a news article, with
// its API key, and blocks an Approve that the legal endpoint rejects.
func TestSitecoreExampleCaddyfileRuns(t *testing.T) {
	s := newSitecoreCMS(t, sitecore.Options{})
	search := newReceiver(t)
	legal := newValidator(t)
	translation := newReceiver(t)
	port, adminPort := freePort(t), freePort(t)
	s.caddy = startCaddyFile(t, filepath.Join(repoRoot, "caddyfile-examples", "sitecore.Caddyfile"), port, adminPort, []string{
		fmt.Sprintf("SIDECAR_PORT=%d", port),
		fmt.Sprintf("ADMIN_PORT=%d", adminPort),
		"SITECORE_UPSTREAM=" + s.srv.Listener.Addr().String(),
		"SEARCH_WEBHOOK_URL=" + search.URL("/search"),
		"LEGAL_WEBHOOK_URL=" + legal.URL("/legal"),
		"TRANSLATION_WEBHOOK_URL=" + translation.URL("/translation"),
		"SEARCH_API_KEY=example-search-key",
	})

	t.Run("enriched save of a news article", func(t *testing.T) {
		before := s.item(t, sitecore.HarbourFestivalID)
		gqlData(t, "updateItem", s.viaSidecar(t, sitecore.AuthoringPath, map[string]any{"query": fmt.Sprintf(
			`mutation { updateItem(input: {itemId: %q, language: "en", fields: [{name: "Headline", value: "Harbour festival moves to the pier"}]}) { item { itemId } } }`, sitecore.HarbourFestivalID)}))
		after := s.item(t, sitecore.HarbourFestivalID)

		got := search.waitFor(t, "item:saved of the news article", scEvent("item:saved", sitecore.HarbourFestivalID))
		if key := got.Header.Get("X-Api-Key"); key != "example-search-key" {
			t.Errorf("X-Api-Key = %q, want the value of SEARCH_API_KEY", key)
		}
		oldValue, _ := sitecore.Field(latestVersion(t, before).Fields, "Headline")
		changes, _ := field(got.JSON, "Changes", "FieldChanges").([]any)
		if len(changes) != 1 {
			t.Fatalf("Changes.FieldChanges = %v, want the Headline change only", changes)
		}
		wantStrings(t, "Headline change", changes[0], map[string]string{
			"FieldId":       sitecore.HeadlineFieldID,
			"Value":         "Harbour festival moves to the pier",
			"OriginalValue": oldValue,
		})
		wantStoredFields(t, "item:saved Item", got.JSON["Item"], after)
		wantStrings(t, "item:saved", got.JSON, map[string]string{"WebhookItemName": "Search index"})
	})

	t.Run("approve blocked by legal", func(t *testing.T) {
		id := s.newArticle(t, "example-approval")
		s.directCommand(t, sitecore.SubmitCommandID, id)
		requests, events := s.commandRequests(), len(s.emu.WorkflowEvents())

		message := "Legal has not reviewed the image rights."
		legal.reject(message)
		resp := s.viaSidecar(t, sitecore.AuthoringPath, authoringCommand(sitecore.ApproveCommandID, id, ""))
		if resp.Status != http.StatusConflict {
			t.Fatalf("approve: status %d, want 409: %.500s", resp.Status, resp.Body)
		}
		errs, _ := resp.object(t)["errors"].([]any)
		if len(errs) == 0 || str(errs[0], "message") != message {
			t.Errorf("409 errors lack the legal message %q: %s", message, resp.Body)
		}
		if n := len(legal.matching(isActionFor("/legal", id))); n != 1 {
			t.Errorf("legal endpoint called %d times for item %s, want once", n, id)
		}
		wantNoCommandRan(t, s, id, sitecore.AwaitingApprovalStateID, requests, events)
	})
}
