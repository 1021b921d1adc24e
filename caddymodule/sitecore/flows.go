package sitecore

import (
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

// pipelines tracks the commands that wait for a dialog result.
type pipelines struct {
	mu      sync.Mutex
	pending map[string]trackedFlow
	ttl     time.Duration
}

// trackedFlow is a command whose request opened a dialog.
type trackedFlow struct {
	ops []*dispatch.Operation

	// dialog is the client command of the prompt: CheckModified,
	// Confirm, Input or ShowModalDialog, or "" when the response named
	// none.
	dialog  string
	expires time.Time
}

func (p *pipelines) put(key string, flow trackedFlow) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for k, t := range p.pending {
		if now.After(t.expires) {
			delete(p.pending, k)
		}
	}
	flow.expires = now.Add(p.ttl)
	p.pending[key] = flow
}

func (p *pipelines) take(key string) (trackedFlow, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.pending[key]
	delete(p.pending, key)
	if !ok || time.Now().After(t.expires) {
		return trackedFlow{}, false
	}
	return t, true
}

// resume returns the operations of the flow that a continuation of the
// session's pipeline continues, with the dialog result applied, or nil
// when the flow ends here or is not tracked.
func (c *Classifier) resume(session, pipeline, result string) []*dispatch.Operation {
	flow, ok := c.pipelines.take(session + "\x00" + pipeline)
	if !ok {
		// An untracked continuation resumes something else.
		return nil
	}
	switch strings.ToLower(result) {
	case "", "cancel", "null", "undefined":
		// The editor cancelled the dialog, so nothing runs.
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
func (c *Classifier) track(ops []*dispatch.Operation, pipeline string, resp *Response, alerted bool) {
	var waiting []*dispatch.Operation
	for _, op := range ops {
		d := op.Detail.(*detail)
		if d.runsHere {
			op.Succeeded = !alerted
			continue
		}
		if d.pendingChange != nil {
			op.StatusChange, d.pendingChange = d.pendingChange, nil
		}
		// Operations that run nothing, such as a data source in no
		// workflow state, do not wait.
		if op.StatusChange != nil || len(op.Events) > 0 {
			waiting = append(waiting, op)
		}
	}
	if len(waiting) == 0 {
		return
	}
	flow := trackedFlow{ops: waiting}
	if dialogs := resp.Dialogs(); len(dialogs) > 0 {
		flow.dialog = dialogs[len(dialogs)-1].Name
	}
	c.pipelines.put(waiting[0].Detail.(*detail).session+"\x00"+pipeline, flow)
}
