package server

import (
	"io"
	"log/slog"
	"strings"

	"github.com/entragate/entragate/config"
)

// NewLogger builds the process logger from Logging (level, json|text).
func NewLogger(w io.Writer, l config.Logging) *slog.Logger {
	var lvl slog.Level
	switch strings.ToLower(l.Level) {
	case "debug":
		lvl = slog.LevelDebug
	case "warn":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if strings.EqualFold(l.Format, "text") {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
