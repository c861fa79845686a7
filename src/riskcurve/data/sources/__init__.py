"""Provider adapters: each turns one provider's responses into the standard frame."""

from riskcurve.data.sources.base import Source, empty_standard_frame, long_from_wide, validate_standard_frame

__all__ = ["Source", "empty_standard_frame", "long_from_wide", "validate_standard_frame"]
