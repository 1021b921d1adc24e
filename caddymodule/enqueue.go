package caddymodule

import (
	"errors"

	"go.uber.org/zap"

	"github.com/cmshooks/caddy-cms-webhooks/dispatch"
)

// enqueue queues the event handler and submit action deliveries of the
// operations that succeeded, all of one request in one store write.
func (h *Handler) enqueue(ops []*dispatch.Operation) {
	var dels []*dispatch.Delivery
	add := func(wh *dispatch.Webhook, event, itemID string, body []byte, err error) {
		if err != nil {
			h.logger.Error("encoding webhook payload failed; delivery dropped",
				zap.String("webhook", wh.Name), zap.String("event", event),
				zap.String("item_id", itemID), zap.Error(err))
			return
		}
		dels = append(dels, dispatch.NewDelivery(wh, event, itemID, body))
	}

	for _, op := range ops {
		if !op.Succeeded {
			continue
		}
		for i := range op.Events {
			e := &op.Events[i]
			for _, wh := range h.EventHandlers {
				if wh.Matches(e.Name, &op.Item) {
					body, err := dispatch.EncodeEvent(wh, op, i)
					add(wh, e.Name, op.Item.ID, body, err)
				}
			}
		}
		h.submitActions(op, add)
	}
	if len(dels) == 0 {
		return
	}

	err := h.dispatcher.Enqueue(dels...)
	switch {
	case err == nil:
	case errors.Is(err, dispatch.ErrQueueFull):
		for _, del := range dels {
			if del.State == dispatch.StateDead {
				h.logger.Error("delivery queue full; delivery stored as dead for replay",
					zap.String("webhook", del.WebhookName), zap.String("event", del.Event),
					zap.String("item_id", del.ItemID), zap.String("delivery_id", del.ID))
			}
		}
	default:
		for _, del := range dels {
			h.logger.Error("queueing delivery failed; delivery lost",
				zap.String("webhook", del.WebhookName), zap.String("event", del.Event),
				zap.String("item_id", del.ItemID), zap.String("delivery_id", del.ID), zap.Error(err))
		}
	}
}

// submitActions adds the submit actions of the command that ran and of the
// state the item entered. The state is the one the CMS reports after the
// write, which can differ from the requested one.
func (h *Handler) submitActions(op *dispatch.Operation, add func(*dispatch.Webhook, string, string, []byte, error)) {
	if op.StatusChange == nil || op.LookupFailed {
		return
	}
	w := h.workflowOf(op)
	if w == nil {
		return
	}
	t := w.Match(op.StatusChange)
	if t == nil || t.Blocked {
		return
	}
	// The command's actions run first, then those of the state the item
	// entered, as Sitecore runs command actions before state actions.
	for _, onState := range []bool{false, true} {
		for _, wh := range h.SubmitActions {
			if wh.Disabled || wh.Workflow != w.Name {
				continue
			}
			if onState && (wh.State == "" || t.To == nil || wh.State != t.To.Key) {
				continue
			}
			if !onState && (wh.Command == "" || t.Command == nil || wh.Command != t.Command.Name) {
				continue
			}
			event := wh.Command
			if onState {
				event = "state:" + wh.State
			}
			body, err := dispatch.EncodeAction(wh, dispatch.ActionRequest{Op: op, Transition: t, OnState: onState})
			add(wh, event, op.Item.ID, body, err)
		}
	}
}
