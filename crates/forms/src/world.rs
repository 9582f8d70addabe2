//! The little world a form is typeset in: one template as the main file, the form's data as
//! `/data.json`, and the two embedded fonts. Nothing is read from disk or the network, and
//! there is no "today" (a template that asks for it fails), so the output is a function of the
//! data alone.

use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// BIZ UD Mincho (text) and BIZ UD Gothic (headings), SIL OFL 1.1.
static MINCHO: &[u8] = include_bytes!("../fonts/BIZUDMincho-Regular.ttf");
static GOTHIC: &[u8] = include_bytes!("../fonts/BIZUDGothic-Regular.ttf");

/// What every form shares, built once: the standard library and the fonts.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = [MINCHO, GOTHIC]
        .into_iter()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
    }
});

fn file_id(path: &str) -> FileId {
    let path = VirtualPath::new(path).expect("a valid virtual path");
    FileId::new(RootedPath::new(VirtualRoot::Project, path))
}

pub(crate) struct FormWorld {
    main: Source,
    data: Bytes,
    data_id: FileId,
}

impl FormWorld {
    pub(crate) fn new(template: &str, data: Vec<u8>) -> FormWorld {
        FormWorld {
            main: Source::new(file_id("/main.typ"), template.to_owned()),
            data: Bytes::new(data),
            data_id: file_id("/data.json"),
        }
    }
}

impl World for FormWorld {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() {
            Ok(Bytes::from_string(self.main.clone()))
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

/// A moment as typst's date-time (UTC, to the second).
pub(crate) fn datetime(t: jiff::Timestamp) -> Datetime {
    let utc = t.to_zoned(jiff::tz::TimeZone::UTC);
    Datetime::from_ymd_hms(
        utc.year() as i32,
        utc.month() as u8,
        utc.day() as u8,
        utc.hour() as u8,
        utc.minute() as u8,
        utc.second() as u8,
    )
    .expect("a valid date and time")
}
