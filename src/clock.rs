//! "Now" and the browser's time zone, provided as context so views stay pure functions of
//! their props (tests pass a fixed clock) and relative times refresh on a timer.

use allocscope_model::times;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    /// Unix nanoseconds.
    pub now: i64,
    /// Minutes east of UTC.
    pub offset_minutes: i32,
}

impl Clock {
    /// The browser's clock and zone.
    #[cfg(target_arch = "wasm32")]
    pub fn browser() -> Clock {
        let d = js_sys::Date::new_0();
        Clock {
            now: (js_sys::Date::now() * 1_000_000.0) as i64,
            offset_minutes: -(d.get_timezone_offset() as i32),
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn browser() -> Clock {
        Clock::default()
    }

    /// Local wall-clock text, `None` for unknown (zero or negative) times. The zone's
    /// offset is the one in force at that instant (daylight saving time differs across
    /// the year), which only the browser knows; off the web the fixed offset applies.
    pub fn local(&self, ns: i64) -> Option<String> {
        times::format_unix_nanos_local(ns, self.offset_at(ns))
    }

    #[cfg(target_arch = "wasm32")]
    fn offset_at(&self, ns: i64) -> i32 {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64((ns / 1_000_000) as f64));
        let off = d.get_timezone_offset();
        if off.is_finite() {
            -(off as i32)
        } else {
            self.offset_minutes
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn offset_at(&self, _ns: i64) -> i32 {
        self.offset_minutes
    }

    pub fn utc(&self, ns: i64) -> Option<String> {
        times::format_unix_nanos_utc(ns)
    }

    pub fn relative(&self, ns: i64) -> Option<String> {
        if self.now <= 0 {
            return None;
        }
        times::relative(ns, self.now)
    }
}
