package edge

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

func TestRecorder(t *testing.T) {
	tests := []struct {
		name       string
		write      func(w http.ResponseWriter)
		wantStatus int
		wantBody   string
		overflow   bool
	}{
		{"body only", func(w http.ResponseWriter) { w.Write([]byte("hi")) }, 200, "hi", false},
		{"status twice", func(w http.ResponseWriter) { w.WriteHeader(404); w.WriteHeader(500) }, 404, "", false},
		{"bad status", func(w http.ResponseWriter) { w.WriteHeader(42) }, 500, "", false},
		{"overflow", func(w http.ResponseWriter) { w.Write(make([]byte, 6)); w.Write(make([]byte, 6)) }, 200, "\x00\x00\x00\x00\x00\x00", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRecorder(10)
			tt.write(r)
			if r.Status() != tt.wantStatus || string(r.Body()) != tt.wantBody || r.Overflowed() != tt.overflow {
				t.Fatalf("status %d body %q overflow %v", r.Status(), r.Body(), r.Overflowed())
			}
		})
	}
	if _, err := NewRecorder(1).Write([]byte("xx")); !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("err = %v", err)
	}
}

func TestRequestID(t *testing.T) {
	if _, ok := RequestID(context.Background()); ok {
		t.Fatal("id in empty context")
	}
	if id, ok := RequestID(WithRequestID(context.Background(), 7)); !ok || id != 7 {
		t.Fatalf("id = %d %v", id, ok)
	}
	if _, ok := RequestID(WithRequestID(context.Background(), 0)); ok {
		t.Fatal("zero id accepted")
	}
}
