package caddymodule

import (
	"go.uber.org/zap"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// enqueue queues the event handler and submit action deliveries of the
// operations that succeeded.
func (h *Handler) enqueue(ops []*dispatch.Operation) {
	for _, op := range ops {
		if !op.Succeeded {
			continue
		}
		for i := range op.Events {
			e := &op.Events[i]
			for _, wh := range h.EventHandlers {
				if !wh.Matches(e.Name, &op.Item) {
					continue
				}
				body, err := dispatch.EncodeEvent(wh, op, e)
				h.put(wh, e.Name, op.Item.ID, body, err)
			}
		}
		h.enqueueSubmitActions(op)
	}
}

// enqueueSubmitActions queues the submit actions of the command that ran and
// of the state the item entered. The state is the one the CMS reports after
// the write, which can differ from the requested one.
func (h *Handler) enqueueSubmitActions(op *dispatch.Operation) {
	if op.StatusChange == nil || op.LookupFailed {
		return
	}
	w := h.workflowFor(op.Item.TemplateName)
	if w == nil {
		return
	}
	t := w.Match(op.StatusChange)
	if t == nil || t.Blocked {
		return
	}
	for _, wh := range h.SubmitActions {
		if wh.Disabled || wh.Workflow != w.Name {
			continue
		}
		onCommand := wh.Command != "" && t.Command != nil && wh.Command == t.Command.Name
		onState := wh.State != "" && t.To != nil && wh.State == t.To.Key
		if !onCommand && !onState {
			continue
		}
		event := wh.Command
		if onState {
			event = "state:" + wh.State
		}
		body, err := dispatch.EncodeAction(wh, dispatch.ActionRequest{Op: op, Transition: t, OnState: onState})
		h.put(wh, event, op.Item.ID, body, err)
	}
}

// put queues one delivery and logs, with its ids, one that cannot be
// queued.
func (h *Handler) put(wh *dispatch.Webhook, event, itemID string, body []byte, encodeErr error) {
	if encodeErr != nil {
		h.logger.Error("encoding webhook payload failed; delivery dropped",
			zap.String("webhook", wh.Name), zap.String("event", event),
			zap.String("item_id", itemID), zap.Error(encodeErr))
		return
	}
	del := dispatch.NewDelivery(wh, event, itemID, body)
	if err := h.dispatcher.Enqueue(del); err != nil {
		h.logger.Error("queueing delivery failed; delivery lost",
			zap.String("webhook", wh.Name), zap.String("event", event),
			zap.String("item_id", itemID), zap.String("delivery_id", del.ID),
			zap.Int("queued", h.dispatcher.Pending()), zap.Error(err))
	}
}
