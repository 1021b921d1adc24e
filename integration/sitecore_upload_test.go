package integration

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
)

// TestMediaUploadPassesWithValidation uploads a 2 MiB file through the
// Media Library's uploader, under /sitecore/shell/, with a validation
// action configured. The body is larger than max_body, but a multipart
// upload is not an editor's postback, so it reaches the CMS rather than
// being rejected with 413.
func TestMediaUploadPassesWithValidation(t *testing.T) {
	legal, team := newReceiver(t), newReceiver(t)
	s := startSitecoreSidecar(t, classicWorkflow(legal, team))

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("Filedata", "brochure.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(bytes.Repeat([]byte("%PDF"), 512*1024)); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.caddy.URL+"/sitecore/shell/applications/flashupload/advanced/uploadtarget.aspx?id=%7B3D6658D8-A0BF-4E75-B3E2-D050FABCF4E1%7D&uploadID=1", &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusRequestEntityTooLarge {
		t.Errorf("upload of 2 MiB: status %d from the sidecar: %.200s", resp.StatusCode, body)
	}
	if n := len(s.emu.Requests()); n == 0 {
		t.Error("the upload did not reach the CMS")
	}
}
