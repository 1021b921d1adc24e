package integration

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmshooks/caddy-cms-webhooks/integration/sitecore"
)

// escapeJS encodes text as JavaScript's escape() does, as the Sheer UI
// client encodes __PARAMETERS: A-Z a-z 0-9 @*_+-./ stay, other characters
// up to U+00FF become %XX and higher ones %uXXXX.
func escapeJS(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80 && (r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("@*_+-./", r)):
			b.WriteRune(r)
		case r <= 0xFF:
			fmt.Fprintf(&b, "%%%02X", r)
		default:
			fmt.Fprintf(&b, "%%u%04X", r)
		}
	}
	return b.String()
}

// classicWorkflow configures the stock Sample Workflow, a validation action
// on Approve and a submit action on Submit.
func classicWorkflow(legal, team *receiver) string {
	return fmt.Sprintf(`workflow "Sample Workflow" {
	state draft "Draft" id %s
	state awaiting "Awaiting Approval" id %s
	state approved "Approved" final id %s
	command submit draft awaiting id %s
	command approve awaiting approved id %s
}
validation_action "Legal review" {
	command approve
	url %s
}
submit_action "Notify reviewers" {
	command submit
	url %s
}`, sitecore.DraftStateID, sitecore.AwaitingApprovalStateID, sitecore.ApprovedStateID,
		sitecore.SubmitCommandID, sitecore.ApproveCommandID, legal.URL("/legal"), team.URL("/team"))
}

// shellPost posts a Sheer UI form through the sidecar with the editor's
// session cookie and returns the status and body.
func (s *scCMS) shellPost(t *testing.T, page, form string) (int, string) {
	t.Helper()
	status, body, err := s.postForm(page, form)
	if err != nil {
		t.Fatalf("POST %s: %v", page, err)
	}
	return status, body
}

// postForm is shellPost for goroutines other than the test's, which must
// not call t.Fatal.
func (s *scCMS) postForm(page, form string) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, s.caddy.URL+page, strings.NewReader(form))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	req.AddCookie(&http.Cookie{Name: ".AspNet.Cookies", Value: s.token})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// speakPost posts an Experience Editor SPEAK request through the sidecar
// with the editor's session cookie: the command context as JSON in data,
// form-encoded as jQuery posts it.
func (s *scCMS) speakPost(t *testing.T, name, data string) *response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.caddy.URL+"/-/speak/request/v1/expeditor/"+name,
		strings.NewReader("__RequestVerificationToken=token&data="+url.QueryEscape(data)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	req.AddCookie(&http.Cookie{Name: ".AspNet.Cookies", Value: s.token})
	return send(t, req)
}

// throughDialog posts a message that opens a dialog, then the
// continuation with the dialog result, and fails the test unless both
// succeed.
func (s *scCMS) throughDialog(t *testing.T, page, message, answer string) {
	t.Helper()
	status, body := s.shellPost(t, page, "&__PARAMETERS="+escapeJS(message)+"&__ISEVENT=1")
	m := pipelineID.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("%s: status %d, body %.300s; want a dialog", message, status, body)
	}
	if status, body := s.shellPost(t, page, "&__RESULT="+url.QueryEscape(answer)+"&__PIPELINE="+m[1]); status != http.StatusOK || strings.Contains(body, "Alert") {
		t.Fatalf("%s continuation: status %d, body %.300s", message, status, body)
	}
}

// openCommentDialog runs a command on the seeded article from the Content
// Editor, with the comment dialog, and returns the dialog's pipeline id.
func (s *scCMS) openCommentDialog(t *testing.T, command string) string {
	t.Helper()
	status, body := s.shellPost(t, "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1", itemWorkflow(command, "0"))
	m := pipelineID.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("command %s: status %d, body %.300s; want the comment dialog", command, status, body)
	}
	return m[1]
}

// itemWorkflow returns a Content Editor postback running a command on the
// seeded article: ui=1 runs it at once, ui=0 opens the comment dialog.
func itemWorkflow(command, ui string) string {
	msg := fmt.Sprintf("item:workflow(id=%s,language=en,version=1,commandid=%s,workflowid=%s,ui=%s,suppresscomment=0)",
		scBraced(sitecore.HarbourFestivalID), scBraced(command), scBraced(sitecore.SampleWorkflowID), ui)
	return "&__PARAMETERS=" + escapeJS(msg) + "&__EVENTTARGET=B7F3&__EVENTARGUMENT=&__SOURCE=&__EVENTTYPE=click&__MODIFIED=&__ISEVENT=1"
}

var pipelineID = regexp.MustCompile(`"SetPipeline","value":"([0-9a-fA-F]+)"`)

// TestContentEditorCommandValidatedWithComment runs Submit at once and
// Approve through the comment dialog from the Content Editor: the
// validator sees the comment of the continuation, its rejection is a 409
// with its message and the item keeps its state, and a second try with
// the validator accepting approves the item.
func TestContentEditorCommandValidatedWithComment(t *testing.T) {
	legal, team := newValidator(t), newReceiver(t)
	s := startSitecoreSidecar(t, classicWorkflow(legal.receiver, team))
	const page = "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1"

	if status, body := s.shellPost(t, page, itemWorkflow(sitecore.SubmitCommandID, "1")); status != http.StatusOK || strings.Contains(body, "Alert") {
		t.Fatalf("Submit: status %d, body %.300s", status, body)
	}
	submitted := team.waitFor(t, "Notify reviewers", func(r recorded) bool { return r.Path == "/team" })
	wantStrings(t, "submit action", submitted.JSON, map[string]string{
		"PreviousState.StateID": scBraced(sitecore.DraftStateID),
		"NextState.StateID":     scBraced(sitecore.AwaitingApprovalStateID),
		"DataItem.Id":           sitecore.HarbourFestivalID,
	})

	approve := func(comment string) (int, string) {
		status, body := s.shellPost(t, page, itemWorkflow(sitecore.ApproveCommandID, "0"))
		m := pipelineID.FindStringSubmatch(body)
		if status != http.StatusOK || m == nil {
			t.Fatalf("Approve, first request: status %d, body %.300s; want the comment dialog", status, body)
		}
		return s.shellPost(t, page, "&__RESULT="+url.QueryEscape(comment)+"&__PIPELINE="+m[1])
	}

	legal.reject("Legal review is missing for this page.")
	status, body := approve("Looks good")
	if status != http.StatusConflict || body != "Legal review is missing for this page." {
		t.Errorf("rejected Approve: status %d, body %q; want 409 with the validator's message", status, body)
	}
	calls := legal.receiver.all()
	if len(calls) != 1 {
		t.Fatalf("validator called %d times, want once", len(calls))
	}
	if got := str(calls[0].JSON, "Comments"); !strings.Contains(fmt.Sprint(field(calls[0].JSON, "Comments")), "Looks good") {
		t.Errorf("validator's Comments = %s, want the dialog's comment", got)
	}
	if state, _ := s.emu.WorkflowState(sitecore.HarbourFestivalID, "en", 0); state.ID != sitecore.AwaitingApprovalStateID {
		t.Errorf("after the rejection the item is in %s, want Awaiting Approval", state.ID)
	}

	legal.accept()
	if status, body := approve("Checked by legal"); status != http.StatusOK || strings.Contains(body, "Alert") {
		t.Fatalf("accepted Approve: status %d, body %.300s", status, body)
	}
	if state, _ := s.emu.WorkflowState(sitecore.HarbourFestivalID, "en", 0); state.ID != sitecore.ApprovedStateID {
		t.Errorf("after the accepted Approve the item is in %s, want Approved", state.ID)
	}
}

// TestContinuationCannotSkipValidation posts the comment dialog's
// continuation of a rejected Approve in the two ways that once passed
// unchecked: with an empty comment, which Sitecore runs like any other,
// and the same continuation again after its 409, which Sitecore still
// waits for. Both are validated and blocked, and the item keeps its state.
func TestContinuationCannotSkipValidation(t *testing.T) {
	legal, team := newValidator(t), newReceiver(t)
	s := startSitecoreSidecar(t, classicWorkflow(legal.receiver, team))
	const page = "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1"
	s.submit(t, sitecore.HarbourFestivalID)
	legal.reject("Legal review is missing for this page.")

	pipeline := s.openCommentDialog(t, sitecore.ApproveCommandID)
	for i, try := range []string{"empty comment", "the same again"} {
		if status, body := s.shellPost(t, page, "&__RESULT=&__PIPELINE="+pipeline); status != http.StatusConflict {
			t.Errorf("%s: status %d, body %q; want 409", try, status, body)
		}
		if calls := len(legal.receiver.all()); calls != i+1 {
			t.Errorf("%s: validator called %d times in all, want %d", try, calls, i+1)
		}
	}
	if state, _ := s.emu.WorkflowState(sitecore.HarbourFestivalID, "en", 0); state.ID != sitecore.AwaitingApprovalStateID {
		t.Errorf("the item is in %s, want Awaiting Approval", state.ID)
	}
}

// TestContinuationWhileValidated posts the same continuation again while
// the validator is still deciding on the first: the second is refused at
// once, and the first is blocked when the validator rejects, so the item
// keeps its state.
func TestContinuationWhileValidated(t *testing.T) {
	legal, team := newValidator(t), newReceiver(t)
	s := startSitecoreSidecar(t, classicWorkflow(legal.receiver, team))
	const page = "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1"
	s.submit(t, sitecore.HarbourFestivalID)
	decide := make(chan struct{})
	legal.setResponse(func(w http.ResponseWriter, r *http.Request) {
		<-decide
		writeJSON(w, http.StatusOK, map[string]any{"IsValid": false, "Message": "Legal review is missing for this page."})
	})

	continuation := "&__RESULT=Fine&__PIPELINE=" + s.openCommentDialog(t, sitecore.ApproveCommandID)
	type result struct {
		status int
		body   string
		err    error
	}
	first := make(chan result, 1)
	go func() {
		status, body, err := s.postForm(page, continuation)
		first <- result{status, body, err}
	}()
	for deadline := time.Now().Add(deliveryWait); len(legal.receiver.all()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			close(decide)
			t.Fatal("the validator was never called for the first continuation")
		}
	}

	status, body := s.shellPost(t, page, continuation)
	close(decide)
	if status != http.StatusConflict || !strings.Contains(body, "already being processed") {
		t.Errorf("the same continuation meanwhile: status %d, body %q; want 409", status, body)
	}
	if got := <-first; got.err != nil || got.status != http.StatusConflict || got.body != "Legal review is missing for this page." {
		t.Errorf("the first continuation: status %d, body %q, error %v; want 409 with the rejection", got.status, got.body, got.err)
	}
	if state, _ := s.emu.WorkflowState(sitecore.HarbourFestivalID, "en", 0); state.ID != sitecore.AwaitingApprovalStateID {
		t.Errorf("the item is in %s, want Awaiting Approval", state.ID)
	}
}

// TestContentEditorCommandWithUnsavedEdits runs Approve, which needs no
// comment here (ui=1), from a Content Editor with unsaved edits, so
// Sitecore first prompts whether to save. A yes is posted as an item:save
// that resumes the command, which runs in that request: the validator's
// rejection blocks it, with the save. A no runs the command in the
// continuation, validated again, and it approves the item.
func TestContentEditorCommandWithUnsavedEdits(t *testing.T) {
	legal, team := newValidator(t), newReceiver(t)
	s := startSitecoreSidecar(t, classicWorkflow(legal.receiver, team))
	const page = "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1"
	s.submit(t, sitecore.HarbourFestivalID)
	current := "&__CurrentItem=" + url.QueryEscape("sitecore://master/"+scBraced(sitecore.HarbourFestivalID)+"?lang=en&ver=1")
	saveFirst := func() string {
		t.Helper()
		form := strings.Replace(itemWorkflow(sitecore.ApproveCommandID, "1"), "&__MODIFIED=", "&__MODIFIED=1", 1) + current
		status, body := s.shellPost(t, page, form)
		m := pipelineID.FindStringSubmatch(body)
		if status != http.StatusOK || m == nil || !strings.Contains(body, "CheckModified") {
			t.Fatalf("Approve with unsaved edits: status %d, body %.300s; want the question whether to save", status, body)
		}
		return m[1]
	}

	legal.reject("Legal review is missing for this page.")
	resume := "&__PARAMETERS=" + escapeJS("item:save(postaction=pipeline:resume(pipelineId="+saveFirst()+"))") + "&__ISEVENT=1" + current
	if status, body := s.shellPost(t, page, resume); status != http.StatusConflict || body != "Legal review is missing for this page." {
		t.Errorf("yes to saving first: status %d, body %q; want 409 with the rejection", status, body)
	}
	if state, _ := s.emu.WorkflowState(sitecore.HarbourFestivalID, "en", 0); state.ID != sitecore.AwaitingApprovalStateID {
		t.Errorf("after the rejection the item is in %s, want Awaiting Approval", state.ID)
	}

	legal.accept()
	earlier := len(legal.receiver.all())
	if status, body := s.shellPost(t, page, "&__RESULT=no&__PIPELINE="+saveFirst()); status != http.StatusOK || strings.Contains(body, "Alert") {
		t.Fatalf("no to saving first: status %d, body %.300s", status, body)
	}
	if state, _ := s.emu.WorkflowState(sitecore.HarbourFestivalID, "en", 0); state.ID != sitecore.ApprovedStateID {
		t.Errorf("after the accepted Approve the item is in %s, want Approved", state.ID)
	}
	if calls := len(legal.receiver.all()) - earlier; calls != 1 {
		t.Errorf("validator called %d times for the second Approve, want once: on the request that ran it", calls)
	}
}

// TestValidateOnFirstRequestSurvivesLostTracking pins the option
// validate_on_first_request: Approve with the comment dialog is validated
// on the request that opens the dialog, so a rejection comes before the
// dialog. After an accepted first request, the dialog outlives
// dialog_timeout, so the sidecar no longer recognizes the continuation,
// which approves the item without a second call: the command was
// validated all the same.
func TestValidateOnFirstRequestSurvivesLostTracking(t *testing.T) {
	legal, team := newValidator(t), newReceiver(t)
	s := startSitecoreSidecar(t, "sitecore {\n\tvalidate_on_first_request\n\tdialog_timeout 1s\n}\n"+classicWorkflow(legal.receiver, team))
	const page = "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1"
	s.submit(t, sitecore.HarbourFestivalID)

	legal.reject("Legal review is missing for this page.")
	if status, body := s.shellPost(t, page, itemWorkflow(sitecore.ApproveCommandID, "0")); status != http.StatusConflict || body != "Legal review is missing for this page." {
		t.Fatalf("first request of Approve: status %d, body %q; want 409 before the dialog", status, body)
	}
	if got := str(legal.receiver.all()[0].JSON, "Comments"); got != "" {
		t.Errorf("Comments on the first request = %q, want empty", got)
	}

	legal.accept()
	pipeline := s.openCommentDialog(t, sitecore.ApproveCommandID)
	calls := len(legal.receiver.all())
	// Longer than dialog_timeout, so the sidecar no longer tracks the dialog.
	time.Sleep(1500 * time.Millisecond)
	if status, body := s.shellPost(t, page, "&__RESULT=Checked&__PIPELINE="+pipeline); status != http.StatusOK || strings.Contains(body, "Alert") {
		t.Fatalf("continuation: status %d, body %.300s", status, body)
	}
	if state, _ := s.emu.WorkflowState(sitecore.HarbourFestivalID, "en", 0); state.ID != sitecore.ApprovedStateID {
		t.Errorf("after the continuation the item is in %s, want Approved", state.ID)
	}
	if got := len(legal.receiver.all()); got != calls {
		t.Errorf("validator called %d more times on the continuation, want none", got-calls)
	}
}

// TestDialogFollowedAcrossReload opens Approve's comment dialog, reloads
// the configuration, and posts the comment: the sidecar still recognizes
// the continuation, so the validator's rejection blocks it.
func TestDialogFollowedAcrossReload(t *testing.T) {
	legal, team := newValidator(t), newReceiver(t)
	s := newSitecoreCMS(t, sitecore.Options{})
	site := func(budget string) string {
		return fmt.Sprintf("cms_webhooks {\n\tcms sitecore\n\tbudget %s\n%s\n}\nreverse_proxy %s",
			budget, indent(classicWorkflow(legal.receiver, team), "\t"), s.srv.Listener.Addr())
	}
	s.caddy = startCaddy(t, caddyOptions{site: site("10s")})
	const page = "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1"
	s.submit(t, sitecore.HarbourFestivalID)
	legal.reject("Legal review is missing for this page.")

	pipeline := s.openCommentDialog(t, sitecore.ApproveCommandID)
	s.caddy.reload(t, caddyfileWith(s.caddy.port, s.caddy.adminPort, "", site("9s")))
	if status, body := s.shellPost(t, page, "&__RESULT=Checked&__PIPELINE="+pipeline); status != http.StatusConflict || body != "Legal review is missing for this page." {
		t.Errorf("continuation after the reload: status %d, body %q; want 409 with the rejection", status, body)
	}
	if state, _ := s.emu.WorkflowState(sitecore.HarbourFestivalID, "en", 0); state.ID != sitecore.AwaitingApprovalStateID {
		t.Errorf("the item is in %s, want Awaiting Approval", state.ID)
	}
}

// TestWorkboxBulkApproveBlockedByOne ticks three items in the Workbox for
// Approve; the validator rejects one, so the request is answered 409 and
// no item moves.
func TestWorkboxBulkApproveBlockedByOne(t *testing.T) {
	legal, team := newValidator(t), newReceiver(t)
	s := startSitecoreSidecar(t, classicWorkflow(legal.receiver, team))

	ids := s.submittedArticles(t, "regatta", "market", "concert")
	rejectItem(legal, ids[1], "The market page has no price list.")

	status, body := s.shellPost(t, workboxPage, sendSelected(sitecore.ApproveCommandID, sitecore.AwaitingApprovalStateID, ids))
	if status != http.StatusConflict || body != "The market page has no price list." {
		t.Errorf("bulk Approve: status %d, body %q; want 409 with the rejection", status, body)
	}
	for _, id := range ids {
		if state, _ := s.emu.WorkflowState(id, "en", 0); state.ID != sitecore.AwaitingApprovalStateID {
			t.Errorf("item %s is in %s, want Awaiting Approval: a blocked request moves nothing", id, state.ID)
		}
	}
}

// submit runs Submit on version 1 in English of an item directly on the
// CM, without the sidecar.
func (s *scCMS) submit(t *testing.T, id string) {
	t.Helper()
	s.direct(t, fmt.Sprintf(`mutation { executeWorkflowCommand(input: {commandId: %q, item: {itemId: %q, language: "en", version: 1}}) { successful } }`,
		sitecore.SubmitCommandID, id))
}

// submittedArticles creates news articles and submits each directly on the
// CM, so that they wait in Awaiting Approval, and returns their ids.
func (s *scCMS) submittedArticles(t *testing.T, names ...string) []string {
	t.Helper()
	var ids []string
	for _, name := range names {
		id := s.newArticle(t, name)
		s.submit(t, id)
		ids = append(ids, id)
	}
	return ids
}

const workboxPage = "/sitecore/shell/Applications/Workbox.aspx?mo=fs"

// sendSelected returns the Workbox postback that runs a command on the
// ticked items, version 1 in English of each, in state ws.
func sendSelected(command, ws string, ids []string) string {
	msg := fmt.Sprintf("workflow:sendselected(command=%s,ws=%s,wf=%s)", scBraced(command), scBraced(ws), scBraced(sitecore.SampleWorkflowID))
	form := "&__PARAMETERS=" + escapeJS(msg) + "&__ISEVENT=1"
	for i, id := range ids {
		form += fmt.Sprintf("&check_R%d=1&hidden_R%d=%s", i, i, url.QueryEscape(scBraced(id)+",en,1"))
	}
	return form
}

// serviceAccount is the Caddyfile lines that let the sidecar read the
// Authoring API with a token of its own, as a cookie-signed editor cannot.
func serviceAccount() string {
	return fmt.Sprintf("authorization service {\n\tbearer %s\n}\nenrich_authorization service\n", scToken(scEditor))
}

// startHandlingSidecar starts a sidecar with an event handler for the
// events, which delivers to rc.
func startHandlingSidecar(t *testing.T, rc *receiver, events string) *scCMS {
	t.Helper()
	return startSitecoreSidecar(t, fmt.Sprintf("event_handler \"Search index\" {\n\tevents %s\n\turl %s\n}", events, rc.URL("/search")))
}

// startEnrichingSidecar starts a sidecar that reads the CMS with the service
// account and has an enriching event handler for the events, which
// delivers to rc.
func startEnrichingSidecar(t *testing.T, rc *receiver, events string) *scCMS {
	t.Helper()
	return startSitecoreSidecar(t, serviceAccount()+fmt.Sprintf("event_handler \"Search index\" {\n\tevents %s\n\turl %s\n\tenrich\n}", events, rc.URL("/search")))
}

// rejectItem makes the validator reject the command for one item and
// accept it for the others.
func rejectItem(legal *validator, id, message string) {
	// The receiver has read and recorded the body before it calls this,
	// so the verdict reads the recorded item. Calls run concurrently, so
	// it finds its own by the request's webhook-id.
	legal.setResponse(func(w http.ResponseWriter, r *http.Request) {
		var item string
		for _, c := range legal.receiver.all() {
			if c.Header.Get("webhook-id") == r.Header.Get("webhook-id") {
				item = str(c.JSON, "DataItem", "Id")
			}
		}
		if item == id {
			writeJSON(w, http.StatusOK, map[string]any{"IsValid": false, "Message": message})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"IsValid": true, "Message": ""})
	})
}

// TestWorkboxSendAllValidatesEachItem runs the Workbox's "send all" of
// Approve on the items in Awaiting Approval, which the request does not
// list: the sidecar reads them through the Authoring API's search with a
// service account, calls the validator once for each, and blocks the
// request when it rejects one. Accepted, every item moves, and "send all"
// of Submit fires the submit action for the item in Draft. Without a
// service account, the cookie cannot read the Authoring API, so the
// command is refused rather than run unchecked.
func TestWorkboxSendAllValidatesEachItem(t *testing.T) {
	sendAll := func(command, state string) string {
		msg := fmt.Sprintf("workflow:sendall(command=%s,ws=%s,wf=%s)", scBraced(command), scBraced(state), scBraced(sitecore.SampleWorkflowID))
		return "&__PARAMETERS=" + escapeJS(msg) + "&__ISEVENT=1"
	}
	setup := func(t *testing.T, service bool) (*scCMS, *validator, *receiver, []string) {
		legal, team := newValidator(t), newReceiver(t)
		lines := classicWorkflow(legal.receiver, team)
		if service {
			lines += "\n" + serviceAccount()
		}
		s := startSitecoreSidecar(t, lines)
		return s, legal, team, s.submittedArticles(t, "regatta", "market", "concert")
	}
	states := func(t *testing.T, s *scCMS, ids []string, want string) {
		t.Helper()
		for _, id := range ids {
			if state, _ := s.emu.WorkflowState(id, "en", 0); state.ID != want {
				t.Errorf("item %s is in %s, want %s", id, state.ID, want)
			}
		}
	}

	t.Run("read and validated", func(t *testing.T) {
		s, legal, team, ids := setup(t, true)
		rejectItem(legal, ids[1], "The market page has no price list.")
		status, body := s.shellPost(t, workboxPage, sendAll(sitecore.ApproveCommandID, sitecore.AwaitingApprovalStateID))
		if status != http.StatusConflict || body != "The market page has no price list." {
			t.Errorf("send all Approve: status %d, body %q; want 409 with the rejection", status, body)
		}
		// The items validated since the start of a calls list, each once.
		validated := func(calls []recorded) []string {
			var items []string
			for _, c := range calls {
				items = append(items, str(c.JSON, "DataItem", "Id"))
			}
			slices.Sort(items)
			return slices.Compact(items)
		}
		// A rejection cancels the validation calls still running, so
		// fewer than three may have arrived, but the rejected one has.
		if got := validated(legal.receiver.all()); !slices.Contains(got, ids[1]) {
			t.Errorf("validated items %v, want the market page among them", got)
		}
		states(t, s, ids, sitecore.AwaitingApprovalStateID)

		legal.accept()
		earlier := len(legal.receiver.all())
		if status, body := s.shellPost(t, workboxPage, sendAll(sitecore.ApproveCommandID, sitecore.AwaitingApprovalStateID)); status != http.StatusOK || strings.Contains(body, "Alert") {
			t.Fatalf("accepted send all Approve: status %d, body %.300s", status, body)
		}
		// A cancelled call of the first request may still land here, so
		// the check is on the set of items.
		if got, want := validated(legal.receiver.all()[earlier:]), slices.Sorted(slices.Values(ids)); !slices.Equal(got, want) {
			t.Errorf("validated items %v, want each item in Awaiting Approval: %v", got, want)
		}
		states(t, s, ids, sitecore.ApprovedStateID)

		if status, body := s.shellPost(t, workboxPage, sendAll(sitecore.SubmitCommandID, sitecore.DraftStateID)); status != http.StatusOK || strings.Contains(body, "Alert") {
			t.Fatalf("send all Submit: status %d, body %.300s", status, body)
		}
		submitted := team.waitFor(t, "Notify reviewers", func(r recorded) bool { return str(r.JSON, "DataItem", "Id") == sitecore.HarbourFestivalID })
		wantStrings(t, "submit action", submitted.JSON, map[string]string{
			"PreviousState.StateID": scBraced(sitecore.DraftStateID),
			"NextState.StateID":     scBraced(sitecore.AwaitingApprovalStateID),
		})
	})

	t.Run("unreadable", func(t *testing.T) {
		s, legal, _, ids := setup(t, false)
		status, body := s.shellPost(t, workboxPage, sendAll(sitecore.ApproveCommandID, sitecore.AwaitingApprovalStateID))
		if status != http.StatusConflict || !strings.Contains(body, "could not be read") {
			t.Errorf("send all Approve without a service account: status %d, body %q; want 409 saying the items could not be read", status, body)
		}
		if calls := legal.receiver.all(); len(calls) != 0 {
			t.Errorf("validator called %d times, want none", len(calls))
		}
		states(t, s, ids, sitecore.AwaitingApprovalStateID)
	})
}

// TestWorkboxBulkPartlyRunFiresForMoved ticks three items in Draft for
// Submit, one of which was submitted on the CM in the meantime: Sitecore
// runs the command on two and alerts for the third, without naming it. The
// sidecar reads each item's state after the response, so the submit action
// fires for the two that moved and not for the third.
func TestWorkboxBulkPartlyRunFiresForMoved(t *testing.T) {
	legal, team := newValidator(t), newReceiver(t)
	s := startSitecoreSidecar(t, classicWorkflow(legal.receiver, team)+
		"\n"+serviceAccount())
	var ids []string
	for _, name := range []string{"regatta", "market", "concert"} {
		ids = append(ids, s.newArticle(t, name))
	}
	stale := ids[1]
	s.submit(t, stale)

	status, body := s.shellPost(t, workboxPage, sendSelected(sitecore.SubmitCommandID, sitecore.DraftStateID, ids))
	if status != http.StatusOK || strings.Count(body, `"Alert"`) != 1 {
		t.Fatalf("bulk Submit: status %d, body %.400s; want a 200 with one alert", status, body)
	}

	for _, id := range []string{ids[0], ids[2]} {
		team.waitFor(t, "Notify reviewers for "+id, func(r recorded) bool { return str(r.JSON, "DataItem", "Id") == id })
	}
	// The request's deliveries are queued and committed in one go, so
	// once the two are listed, the delivery log would list one for the
	// third too.
	s.caddy.waitListed(t, "state=delivered", 2, deliveryWait)
	if list := s.caddy.listDeliveries(t, "item="+stale); len(list) != 0 {
		t.Errorf("deliveries for %s, which Sitecore did not move: %+v", stale, list)
	}
	if list := s.caddy.listDeliveries(t, "webhook="+url.QueryEscape("Notify reviewers")); len(list) != 2 {
		t.Errorf("Notify reviewers has %d deliveries, want 2", len(list))
	}
}

// TestEscapedMessageStillClassified posts an item:workflow message that
// carries characters escape() writes as %XX (Latin-1) and %uXXXX, here in
// a parameter the server ignores: the command is still read, and its
// submit action fires with the item.
func TestEscapedMessageStillClassified(t *testing.T) {
	legal, team := newValidator(t), newReceiver(t)
	s := startSitecoreSidecar(t, classicWorkflow(legal.receiver, team))

	msg := fmt.Sprintf("item:workflow(id=%s,language=en,version=1,commandid=%s,workflowid=%s,ui=1,suppresscomment=1,note=Prüfung 中文)",
		scBraced(sitecore.HarbourFestivalID), scBraced(sitecore.SubmitCommandID), scBraced(sitecore.SampleWorkflowID))
	encoded := escapeJS(msg)
	if !strings.Contains(encoded, "%u4E2D") || !strings.Contains(encoded, "%FC") {
		t.Fatalf("escapeJS(%q) = %q, want %%uXXXX and %%XX escapes", msg, encoded)
	}
	status, body := s.shellPost(t, "/sitecore/shell/Applications/Content%20editor.aspx", "&__PARAMETERS="+encoded+"&__MODIFIED=&__ISEVENT=1")
	if status != http.StatusOK {
		t.Fatalf("Submit with escapes: status %d, body %.300s", status, body)
	}
	if state, _ := s.emu.WorkflowState(sitecore.HarbourFestivalID, "en", 0); state.ID != sitecore.AwaitingApprovalStateID {
		t.Errorf("the item is in %s, want Awaiting Approval: the escaped message was not run", state.ID)
	}
	submitted := team.waitFor(t, "Notify reviewers", func(r recorded) bool { return r.Path == "/team" })
	wantStrings(t, "submit action", submitted.JSON, map[string]string{"DataItem.Id": sitecore.HarbourFestivalID, "DataItem.Language": "en"})
}

// TestExperienceEditorSaveFiresSaved posts the writing step of an
// Experience Editor save through the sidecar: the emulator stores the
// changed field, and the event handler gets item:saved for the item.
func TestExperienceEditorSaveFiresSaved(t *testing.T) {
	rc := newReceiver(t)
	s := startHandlingSidecar(t, rc, "item:saved")

	key := fmt.Sprintf("fld_%s_%s_en_1_%s_1", strings.ToUpper(scHex(sitecore.HarbourFestivalID)), strings.ToUpper(scHex(sitecore.HeadlineFieldID)), "#!#Ignore revision#!#")
	data := fmt.Sprintf(`{"language":"en","version":"1","database":"master","itemId":%q,"scValidatorsKey":"VK_SC_PAGEEDITOR","scFieldValues":{%q:"Harbour festival &amp; regatta"}}`,
		scBraced(sitecore.HarbourFestivalID), key)
	got := s.speakPost(t, "ExperienceEditor.Save.CallServerSavePipeline", data)
	if got.Status != http.StatusOK || !strings.Contains(string(got.Body), `"error":false`) {
		t.Fatalf("save: status %d, body %.300s", got.Status, got.Body)
	}
	headline, _ := sitecore.Field(latestVersion(t, mustItem(t, s.emu, sitecore.HarbourFestivalID)).Fields, "Headline")
	if headline != "Harbour festival & regatta" {
		t.Fatalf("the emulator stored Headline %q, want the decoded value", headline)
	}
	saved := rc.waitFor(t, "item:saved", scEvent("item:saved", sitecore.HarbourFestivalID))
	wantStrings(t, "item:saved", saved.JSON, map[string]string{"Item.Id": sitecore.HarbourFestivalID, "Item.Language": "en"})
}

// TestExperienceEditorDisplayNameFiresSaved changes the page's display name
// from the Experience Editor (ExperienceEditor.ChangeDisplayName): the
// emulator stores it, and item:saved fires for the page.
func TestExperienceEditorDisplayNameFiresSaved(t *testing.T) {
	rc := newReceiver(t)
	s := startHandlingSidecar(t, rc, "item:saved")
	data := fmt.Sprintf(`{"language":"en","version":"1","database":"master","itemId":%q,"value":"Harbour Festival 2027"}`, scBraced(sitecore.HarbourFestivalID))
	if got := s.speakPost(t, "ExperienceEditor.ChangeDisplayName", data); got.Status != http.StatusOK || strings.Contains(string(got.Body), `"error":true`) {
		t.Fatalf("change display name: status %d, body %.300s", got.Status, got.Body)
	}
	it := mustItem(t, s.emu, sitecore.HarbourFestivalID)
	if name, _ := sitecore.Field(it.UnversionedFields["en"], "__Display name"); name != "Harbour Festival 2027" {
		t.Fatalf("the emulator's display name is %q", name)
	}
	rc.waitFor(t, "item:saved", scEvent("item:saved", sitecore.HarbourFestivalID))
}

// TestExperienceEditorRibbonCommandBlocked runs Approve from the
// Experience Editor's notification bar, which posts
// webedit:workflowwithdatasourceitems to WebEditRibbon.aspx: the same
// validation action blocks it, and a second try with the validator
// accepting approves the page.
func TestExperienceEditorRibbonCommandBlocked(t *testing.T) {
	legal, team := newValidator(t), newReceiver(t)
	s := startSitecoreSidecar(t, classicWorkflow(legal.receiver, team))
	s.submit(t, sitecore.HarbourFestivalID)

	page := "/sitecore/shell/Applications/WebEdit/WebEditRibbon.aspx?sc_speakribbon=1&id=" + url.QueryEscape(scBraced(sitecore.HarbourFestivalID)) + "&la=en&db=master"
	msg := fmt.Sprintf("webedit:workflowwithdatasourceitems(id=%s,language=en,version=1,commandid=%s,workflowid=%s,ui=1,suppresscomment=1)",
		scBraced(sitecore.HarbourFestivalID), scBraced(sitecore.ApproveCommandID), scBraced(sitecore.SampleWorkflowID))
	form := "&__PARAMETERS=" + escapeJS(msg) + "&__MODIFIED=&__ISEVENT=1"

	legal.reject("The page's hero image has no alt text.")
	status, body := s.shellPost(t, page, form)
	if status != http.StatusConflict || body != "The page's hero image has no alt text." {
		t.Errorf("rejected Approve: status %d, body %q; want 409 with the message, whose quote needs no escaping", status, body)
	}
	if state, _ := s.emu.WorkflowState(sitecore.HarbourFestivalID, "en", 0); state.ID != sitecore.AwaitingApprovalStateID {
		t.Errorf("after the rejection the page is in %s, want Awaiting Approval", state.ID)
	}

	legal.accept()
	if status, body := s.shellPost(t, page, form); status != http.StatusOK || strings.Contains(body, "Alert") {
		t.Fatalf("accepted Approve: status %d, body %.300s", status, body)
	}
	if state, _ := s.emu.WorkflowState(sitecore.HarbourFestivalID, "en", 0); state.ID != sitecore.ApprovedStateID {
		t.Errorf("after the accepted Approve the page is in %s, want Approved", state.ID)
	}
}

// TestContentEditorItemOperationsFireEvents saves, renames and deletes
// items from the Content Editor through the sidecar. The rename and the
// delete ask first, so their events come from the continuation; a delete
// answered "no" fires nothing and deletes nothing.
func TestContentEditorItemOperationsFireEvents(t *testing.T) {
	rc := newReceiver(t)
	s := startHandlingSidecar(t, rc, "item:saved item:renamed item:deleted")
	const page = "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1"
	current := func(id string) string {
		return "&__CurrentItem=" + url.QueryEscape("sitecore://master/"+scBraced(id)+"?lang=en&ver=1")
	}
	dialog := func(form string) string {
		status, body := s.shellPost(t, page, form)
		m := pipelineID.FindStringSubmatch(body)
		if status != http.StatusOK || m == nil {
			t.Fatalf("first request: status %d, body %.300s; want a dialog", status, body)
		}
		return m[1]
	}

	if status, body := s.shellPost(t, page, "&__PARAMETERS="+escapeJS("item:save")+"&__MODIFIED=1&__ISEVENT=1"+current(sitecore.HarbourFestivalID)); status != http.StatusOK || strings.Contains(body, "Alert") {
		t.Fatalf("save: status %d, body %.300s", status, body)
	}
	rc.waitFor(t, "item:saved", scEvent("item:saved", sitecore.HarbourFestivalID))

	regatta := s.newArticle(t, "regatta")
	id := dialog("&__PARAMETERS=" + escapeJS("item:rename(id="+scBraced(regatta)+")") + "&__ISEVENT=1")
	if status, body := s.shellPost(t, page, "&__RESULT=summer-regatta&__PIPELINE="+id); status != http.StatusOK || strings.Contains(body, "Alert") {
		t.Fatalf("rename continuation: status %d, body %.300s", status, body)
	}
	renamed := rc.waitFor(t, "item:renamed", scEvent("item:renamed", regatta))
	wantStrings(t, "item:renamed", renamed.JSON, map[string]string{"Item.Name": "summer-regatta"})

	kept := s.newArticle(t, "market")
	id = dialog("&__PARAMETERS=" + escapeJS("item:delete") + "&__ISEVENT=1" + current(kept))
	s.shellPost(t, page, "&__RESULT=no&__PIPELINE="+id)
	if _, ok := s.emu.Item(kept); !ok {
		t.Fatal("a delete answered no deleted the item")
	}
	id = dialog("&__PARAMETERS=" + escapeJS("item:delete") + "&__ISEVENT=1" + current(kept))
	s.shellPost(t, page, "&__RESULT=yes&__PIPELINE="+id)
	if _, ok := s.emu.Item(kept); ok {
		t.Fatal("a delete answered yes left the item")
	}
	rc.waitFor(t, "item:deleted", scEvent("item:deleted", kept))
	if n := len(rc.matching(scEvent("item:deleted", kept))); n != 1 {
		t.Errorf("%d item:deleted deliveries for the item, want 1: the answer no fired nothing", n)
	}
}

// TestExperienceEditorSaveEnrichedChanges pins that an enriched
// item:saved of an Experience Editor save lists the field that changed,
// with its OriginalValue, by comparing reads of the item before and after
// the save: the request posts every field of the page.
func TestExperienceEditorSaveEnrichedChanges(t *testing.T) {
	rc := newReceiver(t)
	emu := newSitecoreCMS(t, sitecore.Options{})
	site := fmt.Sprintf(`cms_webhooks {
	cms sitecore
	authorization service {
		bearer %s
	}
	enrich_authorization service
	event_handler "Search index" {
		events item:saved
		url %s
		enrich
	}
}
reverse_proxy %s`, emu.token, rc.URL("/search"), emu.srv.Listener.Addr())
	emu.caddy = startCaddy(t, caddyOptions{site: site})
	before, _ := sitecore.Field(latestVersion(t, mustItem(t, emu.emu, sitecore.HarbourFestivalID)).Fields, "Headline")

	key := fmt.Sprintf("fld_%s_%s_en_1_%s_1", strings.ToUpper(scHex(sitecore.HarbourFestivalID)), strings.ToUpper(scHex(sitecore.HeadlineFieldID)), "#!#Ignore revision#!#")
	data := fmt.Sprintf(`{"language":"en","version":"1","database":"master","itemId":%q,"scFieldValues":{%q:"Harbour festival &amp; regatta"}}`,
		scBraced(sitecore.HarbourFestivalID), key)
	if got := emu.speakPost(t, "ExperienceEditor.Save.CallServerSavePipeline", data); got.Status != http.StatusOK {
		t.Fatalf("save: status %d, body %.300s", got.Status, got.Body)
	}

	saved := rc.waitFor(t, "item:saved", scEvent("item:saved", sitecore.HarbourFestivalID))
	changes, _ := field(saved.JSON, "Changes", "FieldChanges").([]any)
	var headline any
	for _, c := range changes {
		if str(c, "FieldId") == sitecore.HeadlineFieldID {
			headline = c
		}
	}
	if headline == nil {
		t.Fatalf("item:saved has no Headline change: %s", saved.Body)
	}
	wantStrings(t, "Headline change", headline, map[string]string{"Value": "Harbour festival & regatta", "OriginalValue": before})
}

// TestContentEditorSaveWithWarningAsks saves an item that has a validation
// warning, so the save pipeline prompts whether to save anyway. A no
// saves nothing and fires nothing. A yes saves the item and fires one
// item:saved, from the continuation.
func TestContentEditorSaveWithWarningAsks(t *testing.T) {
	rc := newReceiver(t)
	s := startHandlingSidecar(t, rc, "item:saved")
	if err := s.emu.WarnOnSave(sitecore.HarbourFestivalID, "The field Headline is longer than 60 characters."); err != nil {
		t.Fatal(err)
	}
	const page = "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1"
	save := "&__PARAMETERS=" + escapeJS("item:save") + "&__MODIFIED=1&__ISEVENT=1" +
		"&__CurrentItem=" + url.QueryEscape("sitecore://master/"+scBraced(sitecore.HarbourFestivalID)+"?lang=en&ver=1")
	updated := func() string {
		v, _ := sitecore.Field(latestVersion(t, mustItem(t, s.emu, sitecore.HarbourFestivalID)).Fields, "__Updated by")
		return v
	}
	before := updated()
	ask := func() string {
		t.Helper()
		status, body := s.shellPost(t, page, save)
		m := pipelineID.FindStringSubmatch(body)
		if status != http.StatusOK || m == nil || !strings.Contains(body, "Confirm") {
			t.Fatalf("save: status %d, body %.300s; want the Confirm dialog", status, body)
		}
		return m[1]
	}

	s.shellPost(t, page, "&__RESULT=no&__PIPELINE="+ask())
	if got := updated(); got != before {
		t.Fatalf("a save answered no saved the item (__Updated by %q)", got)
	}
	if status, body := s.shellPost(t, page, "&__RESULT=yes&__PIPELINE="+ask()); status != http.StatusOK || strings.Contains(body, "Alert") {
		t.Fatalf("continuation yes: status %d, body %.300s", status, body)
	}
	if got := updated(); got != scEditor {
		t.Fatalf("a save answered yes left __Updated by %q, want %q", got, scEditor)
	}
	rc.waitFor(t, "item:saved", scEvent("item:saved", sitecore.HarbourFestivalID))
	// The delivery log lists a delivery once the queue committed it, in
	// the order queued, so once the last request's delivery is listed, an
	// earlier request's would be too.
	s.caddy.waitListed(t, "state=delivered", 1, deliveryWait)
	if list := s.caddy.listDeliveries(t, "item="+sitecore.HarbourFestivalID); len(list) != 1 {
		t.Errorf("%d deliveries for the item, want 1: the first request and the answer no fire nothing", len(list))
	}
}

// TestContentEditorAddVersionFiresVersionAdded adds a version from the
// Content Editor's Versions tab (item:addversion, which runs without a
// dialog): item:versionAdded fires, and with enrich it carries the number
// of the new version, which neither request nor response shows.
func TestContentEditorAddVersionFiresVersionAdded(t *testing.T) {
	rc := newReceiver(t)
	s := startEnrichingSidecar(t, rc, "item:versionAdded")
	const page = "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1"
	form := "&__PARAMETERS=" + escapeJS("item:addversion") + "&__ISEVENT=1" +
		"&__CurrentItem=" + url.QueryEscape("sitecore://master/"+scBraced(sitecore.HarbourFestivalID)+"?lang=en&ver=1")
	if status, body := s.shellPost(t, page, form); status != http.StatusOK || strings.Contains(body, "Alert") {
		t.Fatalf("add version: status %d, body %.300s", status, body)
	}
	if v := latestVersion(t, mustItem(t, s.emu, sitecore.HarbourFestivalID)); v.Number != 2 {
		t.Fatalf("the emulator's latest version is %d, want 2", v.Number)
	}
	added := rc.waitFor(t, "item:versionAdded", scEvent("item:versionAdded", sitecore.HarbourFestivalID))
	if got := fmt.Sprint(field(added.JSON, "Item", "Version")); got != "2" {
		t.Errorf("Item.Version = %v, want 2, the version added", got)
	}
}

// TestContentEditorSortFiresSortOrderChanged moves an article up among
// its siblings from the Content Editor (item:moveup, which runs at once):
// item:sortorderchanged fires for it.
func TestContentEditorSortFiresSortOrderChanged(t *testing.T) {
	rc := newReceiver(t)
	s := startHandlingSidecar(t, rc, "item:sortorderchanged")
	last := s.newArticle(t, "regatta")
	form := "&__PARAMETERS=" + escapeJS("item:moveup(id="+scBraced(last)+")") + "&__ISEVENT=1"
	if status, body := s.shellPost(t, "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1", form); status != http.StatusOK || strings.Contains(body, "Alert") {
		t.Fatalf("move up: status %d, body %.300s", status, body)
	}
	// The two children of News, renumbered: the article first.
	moved, _ := sitecore.Field(s.item(t, last).SharedFields, "__Sortorder")
	other, _ := sitecore.Field(s.item(t, sitecore.HarbourFestivalID).SharedFields, "__Sortorder")
	if moved != "100" || other != "200" {
		t.Fatalf("__Sortorder of the article %q and of the one before it %q, want 100 and 200", moved, other)
	}
	rc.waitFor(t, "item:sortorderchanged", scEvent("item:sortorderchanged", last))
}

// TestContentEditorDeleteChildrenFiresPerChild deletes the children of
// News from the Content Editor (item:deletechildren, after its Confirm
// dialog). The request names only News, so the sidecar reads its children
// before forwarding, and item:deleted fires for each child, not for News.
func TestContentEditorDeleteChildrenFiresPerChild(t *testing.T) {
	rc := newReceiver(t)
	s := startSitecoreSidecar(t, serviceAccount()+fmt.Sprintf(`event_handler "Search index" {
	events item:deleted
	url %s
}`, rc.URL("/search")))
	regatta := s.newArticle(t, "regatta")
	s.throughDialog(t, "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1", "item:deletechildren(id="+scBraced(sitecore.NewsID)+")", "yes")
	if _, ok := s.emu.Item(sitecore.NewsID); !ok {
		t.Fatal("News itself was deleted")
	}
	for _, id := range []string{sitecore.HarbourFestivalID, regatta} {
		if _, ok := s.emu.Item(id); ok {
			t.Fatalf("child %s is still there", id)
		}
		deleted := rc.waitFor(t, "item:deleted of "+id, scEvent("item:deleted", id))
		wantStrings(t, "item:deleted", deleted.JSON, map[string]string{"Item.ParentId": sitecore.NewsID})
	}
	s.caddy.waitListed(t, "state=delivered", 2, deliveryWait)
	if list := s.caddy.listDeliveries(t, "item="+sitecore.NewsID); len(list) != 0 {
		t.Errorf("deliveries for News, which stays: %+v", list)
	}
}

// TestExperienceEditorSaveFiresOnlyForChanged saves a page that shows two
// items with enrich: the request posts the fields of both, one changed.
// Sitecore saves only that one, and the reads before and after show it,
// so item:saved fires for it alone.
func TestExperienceEditorSaveFiresOnlyForChanged(t *testing.T) {
	rc := newReceiver(t)
	s := startEnrichingSidecar(t, rc, "item:saved")
	teaser := s.newArticle(t, "teaser")
	unchanged, _ := sitecore.Field(latestVersion(t, mustItem(t, s.emu, teaser)).Fields, "Headline")
	key := func(id string) string {
		return fmt.Sprintf("fld_%s_%s_en_1_%s_1", strings.ToUpper(scHex(id)), strings.ToUpper(scHex(sitecore.HeadlineFieldID)), "#!#Ignore revision#!#")
	}
	data := fmt.Sprintf(`{"language":"en","version":"1","database":"master","itemId":%q,"scFieldValues":{%q:"Harbour festival &amp; regatta",%q:%q}}`,
		scBraced(sitecore.HarbourFestivalID), key(sitecore.HarbourFestivalID), key(teaser), unchanged)
	if got := s.speakPost(t, "ExperienceEditor.Save.CallServerSavePipeline", data); got.Status != http.StatusOK {
		t.Fatalf("save: status %d, body %.300s", got.Status, got.Body)
	}
	rc.waitFor(t, "item:saved", scEvent("item:saved", sitecore.HarbourFestivalID))
	s.caddy.waitListed(t, "state=delivered", 1, deliveryWait)
	if list := s.caddy.listDeliveries(t, "item="+teaser); len(list) != 0 {
		t.Errorf("deliveries for the unchanged item: %+v", list)
	}
}

// TestContentEditorMoveAndDuplicateFireEvents moves an article under Home
// and duplicates another from the Content Editor: each fires from the
// continuation that posts the dialog's result.
func TestContentEditorMoveAndDuplicateFireEvents(t *testing.T) {
	rc := newReceiver(t)
	s := startHandlingSidecar(t, rc, "item:moved item:copied item:versionRemoved")
	const page = "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1"
	run := func(message, answer string) {
		t.Helper()
		s.throughDialog(t, page, message, answer)
	}

	regatta := s.newArticle(t, "regatta")
	run("item:moveto(id="+scBraced(regatta)+")", scBraced(sitecore.HomeID))
	if it := mustItem(t, s.emu, regatta); it.ParentID != sitecore.HomeID {
		t.Fatalf("the emulator has the article under %s, want Home", it.ParentID)
	}
	moved := rc.waitFor(t, "item:moved", scEvent("item:moved", regatta))
	wantStrings(t, "item:moved", moved.JSON, map[string]string{"Item.ParentId": sitecore.HomeID})

	run("item:duplicate(id="+scBraced(sitecore.HarbourFestivalID)+")", "harbour-festival-copy")
	copied := rc.waitFor(t, "item:copied", func(r recorded) bool { return str(r.JSON, "EventName") == "item:copied" })
	wantStrings(t, "item:copied", copied.JSON, map[string]string{"Source.Id": sitecore.HarbourFestivalID, "Copy.Name": "harbour-festival-copy"})
}

// TestContentEditorNewItemsEnrichedWithIds creates, duplicates and copies
// items from the Content Editor with an enriching event handler. Neither
// request nor response names the new item, so the sidecar reads where it
// goes before the write and the item by its path after. Each payload
// carries the id that the emulator gave the new item.
func TestContentEditorNewItemsEnrichedWithIds(t *testing.T) {
	rc := newReceiver(t)
	s := startEnrichingSidecar(t, rc, "item:added item:copied")
	const page = "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1"
	run := func(message, answer string) {
		t.Helper()
		s.throughDialog(t, page, message, answer)
	}

	run(fmt.Sprintf("item:addmaster(master=%s,id=%s)", scBraced(sitecore.NewsArticleTemplateID), scBraced(sitecore.NewsID)), "winter-menu")
	created := s.item(t, "/sitecore/content/Home/News/winter-menu")
	added := rc.waitFor(t, "item:added", scEvent("item:added", created.ID))
	wantStrings(t, "item:added", added.JSON, map[string]string{"Item.Name": "winter-menu", "Item.ParentId": sitecore.NewsID})

	run("item:duplicate(id="+scBraced(sitecore.HarbourFestivalID)+")", "harbour-festival-copy")
	duplicate := s.item(t, "/sitecore/content/Home/News/harbour-festival-copy")
	copied := rc.waitFor(t, "item:copied of the duplicate", func(r recorded) bool { return str(r.JSON, "Copy", "Id") == duplicate.ID })
	wantStrings(t, "item:copied", copied.JSON, map[string]string{"Source.Id": sitecore.HarbourFestivalID, "Copy.ParentId": sitecore.NewsID})

	run("item:copyto(id="+scBraced(created.ID)+")", scBraced(sitecore.HomeID))
	copy := s.item(t, "/sitecore/content/Home/winter-menu")
	copied = rc.waitFor(t, "item:copied to Home", func(r recorded) bool { return str(r.JSON, "Copy", "Id") == copy.ID })
	wantStrings(t, "item:copied", copied.JSON, map[string]string{"Source.Id": created.ID, "Copy.ParentId": sitecore.HomeID})
}

// TestRibbonCommandRunsOnDatasources runs Submit and Approve from the
// Experience Editor's ribbon on a page whose renderings show two articles
// as data sources, with datasource_items on: Sitecore runs the command on
// the page and on each data source whose state offers it. The sidecar
// reads the layout and the data sources' states, so each such item fires
// its submit action and is validated, one rejection blocks the page too,
// and a data source already approved is neither validated nor fired.
func TestRibbonCommandRunsOnDatasources(t *testing.T) {
	legal, team := newValidator(t), newReceiver(t)
	s := startSitecoreSidecar(t, classicWorkflow(legal.receiver, team)+`
sitecore {
	datasource_items
}
`+serviceAccount())

	promo, teaser, archived := s.newArticle(t, "promo"), s.newArticle(t, "teaser"), s.newArticle(t, "archived")
	for _, command := range []string{sitecore.SubmitCommandID, sitecore.ApproveCommandID} {
		s.direct(t, fmt.Sprintf(`mutation { executeWorkflowCommand(input: {commandId: %q, item: {itemId: %q, language: "en", version: 1}}) { successful } }`, command, archived))
	}
	// A final layout delta in the default device, with the data sources
	// by id, by path and by id again.
	layout := fmt.Sprintf(`<r xmlns:p="p" xmlns:s="s" p:p="1"><d id="{FE5D7FDF-89C0-4D99-9AA3-B5FBD009C9F3}">`+
		`<r uid="{0B6B2E3C-2C1A-4C53-9A0B-6C9D4C3E6F01}" s:ds="%s" s:id="{2E5D4C3B-1A2B-4C3D-8E9F-0A1B2C3D4E5F}" s:ph="main" />`+
		`<r uid="{0B6B2E3C-2C1A-4C53-9A0B-6C9D4C3E6F02}" s:ds="/sitecore/content/Home/News/teaser" s:id="{2E5D4C3B-1A2B-4C3D-8E9F-0A1B2C3D4E5F}" s:ph="main" />`+
		`<r uid="{0B6B2E3C-2C1A-4C53-9A0B-6C9D4C3E6F03}" s:ds="%s" s:id="{2E5D4C3B-1A2B-4C3D-8E9F-0A1B2C3D4E5F}" s:ph="aside" />`+
		`</d></r>`, scBraced(promo), scBraced(archived))
	s.direct(t, fmt.Sprintf(`mutation { updateItem(input: {itemId: %q, language: "en", version: 1, fields: [{name: "__Final Renderings", value: %q}]}) { item { itemId } } }`,
		sitecore.HarbourFestivalID, layout))

	ribbon := func(command string) (int, string) {
		page := "/sitecore/shell/Applications/WebEdit/WebEditRibbon.aspx?sc_speakribbon=1"
		msg := fmt.Sprintf("webedit:workflowwithdatasourceitems(id=%s,language=en,version=1,commandid=%s,workflowid=%s,ui=1,suppresscomment=1)",
			scBraced(sitecore.HarbourFestivalID), scBraced(command), scBraced(sitecore.SampleWorkflowID))
		return s.shellPost(t, page, "&__PARAMETERS="+escapeJS(msg)+"&__MODIFIED=&__ISEVENT=1")
	}
	moved := []string{sitecore.HarbourFestivalID, promo, teaser}

	if status, body := ribbon(sitecore.SubmitCommandID); status != http.StatusOK || strings.Contains(body, "Alert") {
		t.Fatalf("Submit: status %d, body %.300s", status, body)
	}
	for _, id := range moved {
		team.waitFor(t, "Notify reviewers for "+id, func(r recorded) bool { return str(r.JSON, "DataItem", "Id") == id })
	}
	s.caddy.waitListed(t, "state=delivered", 3, deliveryWait)
	if list := s.caddy.listDeliveries(t, "item="+archived); len(list) != 0 {
		t.Errorf("deliveries for the approved data source, which Submit did not move: %+v", list)
	}

	rejectItem(legal, teaser, "The teaser has no image.")
	if status, body := ribbon(sitecore.ApproveCommandID); status != http.StatusConflict || body != "The teaser has no image." {
		t.Errorf("Approve with the teaser rejected: status %d, body %q; want 409 with the rejection", status, body)
	}
	for _, id := range moved {
		if state, _ := s.emu.WorkflowState(id, "en", 0); state.ID != sitecore.AwaitingApprovalStateID {
			t.Errorf("after the rejection %s is in %s, want Awaiting Approval", id, state.ID)
		}
	}

	legal.accept()
	if status, body := ribbon(sitecore.ApproveCommandID); status != http.StatusOK || strings.Contains(body, "Alert") {
		t.Fatalf("accepted Approve: status %d, body %.300s", status, body)
	}
	for _, id := range moved {
		if state, _ := s.emu.WorkflowState(id, "en", 0); state.ID != sitecore.ApprovedStateID {
			t.Errorf("after the accepted Approve %s is in %s, want Approved", id, state.ID)
		}
	}
	for _, c := range legal.receiver.all() {
		if str(c.JSON, "DataItem", "Id") == archived {
			t.Errorf("the validator saw the approved data source, whose state offers no Approve")
		}
	}
}

// TestContentEditorCreateFiresAdded creates an article below News from the
// Content Editor, with Insert (the name prompt) and with Insert from
// template, whose dialog posts the template and the name together.
// item:added comes from the continuation, with the name, the template and
// the parent.
func TestContentEditorCreateFiresAdded(t *testing.T) {
	cases := []struct{ message, result, name string }{
		{"item:addmaster(master=" + scBraced(sitecore.NewsArticleTemplateID) + ",id=" + scBraced(sitecore.NewsID) + ")", "winter-menu", "winter-menu"},
		{"item:addfromtemplate(id=" + scBraced(sitecore.NewsID) + ")", scBraced(sitecore.NewsArticleTemplateID) + ",Press release", "Press release"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t)
			s := startHandlingSidecar(t, rc, "item:added")
			s.throughDialog(t, "/sitecore/shell/Applications/Content%20editor.aspx?sc_bw=1", tc.message, tc.result)
			if _, ok := s.emu.Item("/sitecore/content/Home/News/" + tc.name); !ok {
				t.Fatalf("the emulator has no %s below News", tc.name)
			}
			added := rc.waitFor(t, "item:added", func(r recorded) bool { return str(r.JSON, "EventName") == "item:added" })
			wantStrings(t, "item:added", added.JSON, map[string]string{
				"Item.Name":       tc.name,
				"Item.ParentId":   sitecore.NewsID,
				"Item.TemplateId": sitecore.NewsArticleTemplateID,
			})
		})
	}
}

// TestEveryPathFiresSubmitAction runs Submit from the Workbox and from the
// Experience Editor ribbon: each fires the command's submit action with
// the same states as the Authoring API does.
func TestEveryPathFiresSubmitAction(t *testing.T) {
	cases := []struct {
		name, page, message string
	}{
		{"Workbox send", workboxPage,
			"workflow:send(id=%s,la=en,vs=1,command=%s,wf=%s,ui=1,suppresscomment=1)"},
		{"ribbon", "/sitecore/shell/Applications/WebEdit/WebEditRibbon.aspx?sc_speakribbon=1",
			"webedit:workflowwithdatasourceitems(id=%s,language=en,version=1,commandid=%s,workflowid=%s,ui=1,suppresscomment=1)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			legal, team := newValidator(t), newReceiver(t)
			s := startSitecoreSidecar(t, classicWorkflow(legal.receiver, team))
			msg := fmt.Sprintf(tc.message, scBraced(sitecore.HarbourFestivalID), scBraced(sitecore.SubmitCommandID), scBraced(sitecore.SampleWorkflowID))
			if status, body := s.shellPost(t, tc.page, "&__PARAMETERS="+escapeJS(msg)+"&__MODIFIED=&__ISEVENT=1"); status != http.StatusOK || strings.Contains(body, "Alert") {
				t.Fatalf("Submit: status %d, body %.300s", status, body)
			}
			submitted := team.waitFor(t, "Notify reviewers", func(r recorded) bool { return r.Path == "/team" })
			wantStrings(t, "submit action", submitted.JSON, map[string]string{
				"PreviousState.StateID": scBraced(sitecore.DraftStateID),
				"NextState.StateID":     scBraced(sitecore.AwaitingApprovalStateID),
				"DataItem.Id":           sitecore.HarbourFestivalID,
				"WorkflowName":          "Sample Workflow",
			})
		})
	}
}
