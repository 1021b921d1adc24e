package dispatch

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/tidwall/gjson"
	"go.uber.org/zap"
)

// maxVerdictBody bounds how much of a validator's response is read.
const maxVerdictBody = 64 << 10

// ValidationCall is one validation action to call for one operation.
type ValidationCall struct {
	Webhook *Webhook
	Body    []byte

	// Event and ItemID are for the log line.
	Event  string
	ItemID string
}

// Verdict is the outcome of one validation call.
type Verdict struct {
	Call     *ValidationCall
	Valid    bool
	Message  string
	Status   int
	Duration time.Duration

	// Err is set when the validator failed to respond: a transport error,
	// a timeout, a non-2xx status or a body without IsValid.
	Err error

	// Blocks is the decision after on_error and mode are applied.
	Blocks bool
}

// Validate calls all validation actions concurrently within ctx, which
// carries the request's budget. It returns the first verdict that blocks,
// or nil when the command may go on. The first blocking verdict cancels the
// calls that are still running.
func (d *Dispatcher) Validate(ctx context.Context, calls []ValidationCall) *Verdict {
	if len(calls) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu      sync.Mutex
		blocked *Verdict
		wg      sync.WaitGroup
	)
	for i := range calls {
		wg.Add(1)
		go func(call *ValidationCall) {
			defer wg.Done()
			v := d.validateOne(ctx, call)
			mu.Lock()
			defer mu.Unlock()
			if v.Blocks && blocked == nil {
				blocked = v
				cancel()
			}
			// A call cancelled because another validator already
			// blocked is not worth a log line of its own.
			if blocked == v || !errors.Is(v.Err, context.Canceled) {
				d.logVerdict(v)
			}
		}(&calls[i])
	}
	wg.Wait()
	return blocked
}

func (d *Dispatcher) validateOne(ctx context.Context, call *ValidationCall) *Verdict {
	wh := call.Webhook
	v := &Verdict{Call: call}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, time.Duration(wh.Timeout))
	defer cancel()

	v.Status, v.Valid, v.Message, v.Err = d.callValidator(ctx, wh, call.Body)
	v.Duration = time.Since(start)
	if v.Err != nil && v.Message == "" {
		v.Message = fmt.Sprintf("validation action %q failed: %v", wh.Name, v.Err)
	}

	if obs := d.conf().Observer; obs != nil {
		verdict := "valid"
		if v.Err != nil {
			verdict = "error"
		} else if !v.Valid {
			verdict = "invalid"
		}
		obs.Verdict(wh.Name, verdict, v.Duration)
	}

	switch {
	case wh.Mode == "shadow":
		v.Blocks = false
	case v.Err != nil:
		v.Blocks = wh.OnError != "allow"
	default:
		v.Blocks = !v.Valid
	}
	return v
}

func (d *Dispatcher) callValidator(ctx context.Context, wh *Webhook, body []byte) (status int, valid bool, message string, err error) {
	req, err := d.newRequest(ctx, wh, body, "msg_"+uuid.Must(uuid.NewV7()).String(), time.Now())
	if err != nil {
		return 0, false, "", err
	}
	resp, err := d.send(req, wh, body)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, false, "", fmt.Errorf("no answer within the time budget")
		}
		return 0, false, "", err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxVerdictBody))
	if err != nil {
		return resp.StatusCode, false, "", fmt.Errorf("reading response: %v", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, false, "", fmt.Errorf("status %d", resp.StatusCode)
	}
	valid, message, err = ParseVerdict(answer)
	return resp.StatusCode, valid, message, err
}

// ParseVerdict reads a validation action's response: JSON {"IsValid": bool,
// "Message": string} or XML <data><IsValid/><Message/></data>, with the key
// names spelled exactly as Sitecore documents them.
func ParseVerdict(body []byte) (valid bool, message string, err error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '<' {
		var x struct {
			XMLName xml.Name `xml:"data"`
			IsValid *bool    `xml:"IsValid"`
			Message string   `xml:"Message"`
		}
		if err := xml.Unmarshal(trimmed, &x); err != nil {
			return false, "", fmt.Errorf("invalid XML response: %v", err)
		}
		if x.IsValid == nil {
			return false, "", fmt.Errorf("response has no IsValid element")
		}
		return *x.IsValid, x.Message, nil
	}
	if !gjson.ValidBytes(trimmed) {
		return false, "", fmt.Errorf("response is neither JSON nor XML")
	}
	isValid := gjson.GetBytes(trimmed, "IsValid")
	if isValid.Type != gjson.True && isValid.Type != gjson.False {
		return false, "", fmt.Errorf("response has no boolean IsValid")
	}
	return isValid.Bool(), gjson.GetBytes(trimmed, "Message").String(), nil
}

func (d *Dispatcher) logVerdict(v *Verdict) {
	level := zap.InfoLevel
	if v.Err != nil {
		level = zap.WarnLevel
	}
	ce := d.logger.Check(level, "validation verdict")
	if ce == nil {
		return
	}
	fields := []zap.Field{
		zap.String("webhook", v.Call.Webhook.Name),
		zap.String("event", v.Call.Event),
		zap.String("item_id", v.Call.ItemID),
		zap.Bool("valid", v.Valid),
		zap.Bool("blocks", v.Blocks),
		zap.String("mode", modeName(v.Call.Webhook.Mode)),
		zap.Int("status", v.Status),
		zap.Duration("duration", v.Duration),
	}
	if v.Message != "" {
		fields = append(fields, zap.String("message", v.Message))
	}
	if v.Err != nil {
		fields = append(fields, zap.Error(v.Err))
	}
	ce.Write(fields...)
}

func modeName(mode string) string {
	if mode == "" {
		return "enforce"
	}
	return mode
}

// redactURLError drops the URL from a transport error, because a webhook
// URL can carry an API key in its query.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}
