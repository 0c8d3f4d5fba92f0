//! Light, dark or following the system; comfortable or compact. Applied as attributes on
//! the app's root element, which the stylesheet turns into custom-property values that a
//! portal can override (`--allocscope-*`).

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    /// Follow `prefers-color-scheme`.
    #[default]
    Auto,
    Light,
    Dark,
}

impl Theme {
    pub fn parse(s: &str) -> Theme {
        match s.trim().to_ascii_lowercase().as_str() {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::Auto,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The toggle's order: auto → light → dark → auto.
    pub fn next(&self) -> Theme {
        match self {
            Theme::Auto => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Auto,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Density {
    #[default]
    Comfortable,
    Compact,
}

impl Density {
    pub fn parse(s: &str) -> Density {
        if s.trim().eq_ignore_ascii_case("compact") {
            Density::Compact
        } else {
            Density::Comfortable
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Density::Comfortable => "comfortable",
            Density::Compact => "compact",
        }
    }

    pub fn toggled(&self) -> Density {
        match self {
            Density::Comfortable => Density::Compact,
            Density::Compact => Density::Comfortable,
        }
    }
}

const THEME_KEY: &str = "allocscope.theme";
const DENSITY_KEY: &str = "allocscope.density";

/// The standalone page remembers the user's choice in local storage.
pub fn load_preferences() -> (Theme, Density) {
    #[cfg(target_arch = "wasm32")]
    {
        let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
        if let Some(s) = storage {
            let theme = s.get_item(THEME_KEY).ok().flatten().map(|v| Theme::parse(&v)).unwrap_or_default();
            let density =
                s.get_item(DENSITY_KEY).ok().flatten().map(|v| Density::parse(&v)).unwrap_or_default();
            return (theme, density);
        }
    }
    (Theme::default(), Density::default())
}

pub fn save_preferences(theme: Theme, density: Density) {
    #[cfg(target_arch = "wasm32")]
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.set_item(THEME_KEY, theme.as_str());
        let _ = s.set_item(DENSITY_KEY, density.as_str());
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (theme, density, THEME_KEY, DENSITY_KEY);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_cycle_and_parsing() {
        assert_eq!(Theme::parse("DARK"), Theme::Dark);
        assert_eq!(Theme::parse("neon"), Theme::Auto);
        assert_eq!(Theme::Auto.next().next().next(), Theme::Auto);
        assert_eq!(Density::parse("compact").toggled(), Density::Comfortable);
    }
}
