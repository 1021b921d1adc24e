package sitecore

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// A classic editor's command that prompts the editor first runs as a
// client pipeline. The response with the prompt carries the pipeline's id
// (SetPipeline) and a dialog, and the browser posts the dialog result
// (__RESULT) with the id (__PIPELINE) in a continuation. A "yes" to "save
// first?" (CheckModified) is posted instead as
// item:save(postaction=pipeline:resume(pipelineId=...)). The classifier
// keeps each waiting command per editor session, with the dialog it waits
// for, and reads the result according to that dialog.

// defaultDialogTimeout bounds how long a flow waits for its continuation.
const defaultDialogTimeout = 30 * time.Minute

// pipelines tracks the commands that wait for a dialog result, by pipeline
// id. Sitecore binds a pipeline to the editor's server session, so a flow
// is matched with the session cookies too. Sliding expiration may renew an
// authentication cookie while a dialog is open, though. So when only one
// flow has the id, it is taken even when no cookie matches, because
// passing a continuation unvalidated would be worse.
type pipelines struct {
	mu      sync.Mutex
	pending map[string][]trackedFlow
	ttl     time.Duration
}

// trackedFlow is a command whose request opened a dialog.
type trackedFlow struct {
	ops []*dispatch.Operation

	// session holds the values of the session cookies of the request
	// that opened the dialog.
	session editorSession

	// dialog is the client command of the prompt: CheckModified,
	// Confirm, Input or ShowModalDialog, or "" when the response named
	// none.
	dialog  string
	expires time.Time
}

// editorSession holds the values of a request's session cookies, by name.
type editorSession map[string]string

// sameSession reports whether two requests share a session cookie value.
func sameSession(a, b editorSession) bool {
	for name, value := range a {
		if value != "" && b[name] == value {
			return true
		}
	}
	return false
}

func (p *pipelines) put(id string, flow trackedFlow) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for k, flows := range p.pending {
		flows = slices.DeleteFunc(flows, func(t trackedFlow) bool { return now.After(t.expires) })
		if len(flows) == 0 {
			delete(p.pending, k)
		} else {
			p.pending[k] = flows
		}
	}
	flow.expires = now.Add(p.ttl)
	flows := slices.DeleteFunc(p.pending[id], func(t trackedFlow) bool { return sameSession(t.session, flow.session) })
	p.pending[id] = append(flows, flow)
}

// take removes and returns the flow of pipeline id for the session: the
// one that shares a session cookie, or else the only one with that id.
func (p *pipelines) take(id string, session editorSession) (trackedFlow, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	flows := p.pending[id]
	i := slices.IndexFunc(flows, func(t trackedFlow) bool { return sameSession(t.session, session) })
	if i < 0 && len(flows) == 1 {
		i = 0
	}
	if i < 0 {
		return trackedFlow{}, false
	}
	flow := flows[i]
	if flows = slices.Delete(flows, i, i+1); len(flows) == 0 {
		delete(p.pending, id)
	} else {
		p.pending[id] = flows
	}
	if time.Now().After(flow.expires) {
		return trackedFlow{}, false
	}
	return flow, true
}

// resume returns the operations of the flow that a continuation of the
// session's pipeline continues, with the dialog result applied, or nil
// when the flow ends here or is not tracked.
func (c *Classifier) resume(session editorSession, pipeline, result string) []*dispatch.Operation {
	flow, ok := c.pipelines.take(pipeline, session)
	if !ok {
		// An untracked continuation resumes something else.
		return nil
	}
	for _, op := range flow.ops {
		// A continuation that is blocked puts the flow back, so that
		// posting it again is checked again.
		d := op.Detail.(*detail)
		d.pipeline, d.dialog = pipeline, flow.dialog
	}
	switch strings.ToLower(result) {
	case "cancel", "null", "undefined":
		// The editor cancelled the dialog, so nothing runs. An empty
		// result is not a cancel: Sitecore's workflow command runs with
		// an empty comment.
		return nil
	}
	yes := strings.EqualFold(result, "yes")

	if flow.dialog == "CheckModified" {
		// After "save first?", with yes (saved) or no (not saved), the
		// command goes on. With a comment dialog next, this request
		// runs nothing yet. Without one, the command runs now.
		for _, op := range flow.ops {
			d := op.Detail.(*detail)
			d.session, d.opensDialog = session, false
			if op.StatusChange != nil && d.commentNeeded {
				c.hold(op)
			}
			op.Validated = d.validatedEarly
		}
		return flow.ops
	}

	for _, op := range flow.ops {
		d := op.Detail.(*detail)
		d.session, d.opensDialog = session, false
		op.Validated = d.validatedEarly
		switch d.dialogResult {
		case resultConfirm:
			if !yes {
				return nil
			}
		case resultName:
			op.Item.Name = result
		case resultTarget:
			op.Item.ParentID = normalizeID(result)
		default:
			if op.StatusChange == nil {
				// A save whose save pipeline asked a question, such as
				// whether to save despite a validation warning, saves on
				// "yes" only.
				if !yes {
					return nil
				}
				continue
			}
			op.Comments = result
		}
	}
	return flow.ops
}

// track keeps the operations of a request whose response opened a dialog,
// under the pipeline id of the response, until the continuation. An
// operation that already ran in this request (the save of an item:save
// that resumed a command) is not kept, and reports whether it succeeded.
// The flow keeps copies: the handler goes on reading this request's
// operations while the continuation may already be served.
func (c *Classifier) track(ops []*dispatch.Operation, pipeline string, resp *Response, alerted bool) {
	var waiting []*dispatch.Operation
	for _, op := range ops {
		d := op.Detail.(*detail)
		if d.runsHere {
			op.Succeeded = !alerted
			continue
		}
		change := changeOf(op)
		// Operations that run nothing, such as a data source in no
		// workflow state, do not wait.
		if change == nil && len(op.Events) == 0 {
			continue
		}
		kept := forFlow(op)
		if change != nil {
			copied := *change
			kept.StatusChange = &copied
			kept.Detail.(*detail).pendingChange = nil
		}
		waiting = append(waiting, kept)
	}
	if len(waiting) == 0 {
		return
	}
	flow := trackedFlow{ops: waiting, session: waiting[0].Detail.(*detail).session}
	if dialogs := resp.Dialogs(); len(dialogs) > 0 {
		flow.dialog = dialogs[len(dialogs)-1].Name
	}
	c.pipelines.put(pipeline, flow)
}

// forFlow returns a copy of an operation to keep in a flow, with a detail
// of its own and nothing that the handler filled for this request.
func forFlow(op *dispatch.Operation) *dispatch.Operation {
	kept := op.Clone()
	d := *op.Detail.(*detail)
	kept.Detail = &d
	kept.Fanout, kept.Confirm, kept.Basic = nil, nil, nil
	kept.Succeeded, kept.Validated, kept.Unchecked = false, false, false
	return kept
}

// retrack puts the flow of a blocked continuation back, so that the same
// continuation posted again is checked again rather than passed as
// untracked. Sitecore still waits for it, since the block never reached
// it.
func (c *Classifier) retrack(ops []*dispatch.Operation) {
	var kept []*dispatch.Operation
	var first *detail
	for _, op := range ops {
		d, ok := op.Detail.(*detail)
		if !ok || d.api != apiShell || d.pipeline == "" || d.runsHere {
			continue
		}
		if first == nil {
			first = d
		}
		k := forFlow(op)
		if kd := k.Detail.(*detail); kd.pendingChange != nil {
			copied := *kd.pendingChange
			k.StatusChange, kd.pendingChange = &copied, nil
		}
		kept = append(kept, k)
	}
	if first == nil {
		return
	}
	c.pipelines.put(first.pipeline, trackedFlow{ops: kept, session: first.session, dialog: first.dialog})
}
