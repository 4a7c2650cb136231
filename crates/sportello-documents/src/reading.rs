//! Reading PDFs back with the tools a citizen's computer would use — poppler (`pdftotext`,
//! `pdfinfo`, `pdftoppm`), zbar (`zbarimg`) for QR codes, libdmtx (`dmtxread`) for the Poste
//! Data Matrix — for the tests of this crate and of the crates that render through it.
//! `scripts/install-test-deps` installs the tools; without them a check is skipped with a
//! message, except under CI, where a missing tool fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A PDF written to a temporary file for the command-line tools, removed on drop.
pub struct TempPdf(PathBuf);

impl TempPdf {
    pub fn new(bytes: &[u8]) -> TempPdf {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "sportello-documents-{}-{}.pdf",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, bytes).unwrap();
        TempPdf(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempPdf {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_file(self.0.with_extension("png"));
        let _ = std::fs::remove_file(self.0.with_extension("1.png"));
        let _ = std::fs::remove_dir_all(self.0.with_extension("pages"));
    }
}

/// Runs a tool and returns its standard output; `None` when the tool is not installed
/// (outside CI).
pub fn run(tool: &str, args: &[&std::ffi::OsStr]) -> Option<String> {
    match Command::new(tool).args(args).output() {
        Ok(output) => {
            assert!(
                output.status.success(),
                "{tool} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            Some(String::from_utf8(output.stdout).unwrap())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{tool} is missing: scripts/install-test-deps installs it"
            );
            eprintln!(
                "SKIPPED: {tool} is not installed (Debian: poppler-utils, zbar-tools; \
                 scripts/install-test-deps installs them)"
            );
            None
        }
        Err(error) => panic!("{tool}: {error}"),
    }
}

pub fn pdftotext(pdf: &TempPdf) -> Option<String> {
    let text = run("pdftotext", &[pdf.path().as_os_str(), "-".as_ref()])?;
    // Join the lines so that phrases wrapped by the layout can be searched whole.
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `pdfinfo`'s report with the alignment spaces squeezed: `Tagged: yes`.
pub fn pdfinfo(pdf: &TempPdf) -> Option<String> {
    let info = run("pdfinfo", &[pdf.path().as_os_str()])?;
    let lines: Vec<String> = info
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    Some(lines.join("\n"))
}

/// The URLs of the link annotations, as `pdfinfo -url` lists them.
pub fn links(pdf: &TempPdf) -> Option<Vec<String>> {
    let listing = run("pdfinfo", &["-url".as_ref(), pdf.path().as_os_str()])?;
    Some(
        listing
            .lines()
            .skip(1)
            .filter_map(|line| line.split_whitespace().nth(2).map(str::to_owned))
            .collect(),
    )
}

/// Rasterises page 1 at 150 dpi and returns what zbar reads in it.
pub fn scan_qr(pdf: &TempPdf) -> Option<Vec<String>> {
    let prefix = pdf.path().with_extension("");
    run(
        "pdftoppm",
        &[
            "-r".as_ref(),
            "150".as_ref(),
            "-png".as_ref(),
            "-singlefile".as_ref(),
            "-f".as_ref(),
            "1".as_ref(),
            "-l".as_ref(),
            "1".as_ref(),
            pdf.path().as_os_str(),
            prefix.as_os_str(),
        ],
    )?;
    let png = pdf.path().with_extension("png");
    let decoded = run(
        "zbarimg",
        &["--raw".as_ref(), "-q".as_ref(), png.as_os_str()],
    )?;
    Some(decoded.lines().map(str::to_owned).collect())
}

/// Rasterises every page at `dpi` into its own folder and returns the images in page order.
pub fn rasterise(pdf: &TempPdf, dpi: u32) -> Option<Vec<PathBuf>> {
    let dir = pdf.path().with_extension("pages");
    std::fs::create_dir_all(&dir).unwrap();
    let dpi = dpi.to_string();
    let prefix = dir.join("page");
    run(
        "pdftoppm",
        &[
            "-r".as_ref(),
            dpi.as_ref(),
            "-png".as_ref(),
            pdf.path().as_os_str(),
            prefix.as_os_str(),
        ],
    )?;
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    pages.sort();
    Some(pages)
}

/// Every QR code zbar finds on every page, sorted.
pub fn scan_all_qr(pdf: &TempPdf) -> Option<Vec<String>> {
    let pages = rasterise(pdf, 300)?;
    let mut codes = Vec::new();
    for page in pages {
        let output = match Command::new("zbarimg")
            .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
            .arg(&page)
            .output()
        {
            Ok(output) => output,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                // Reports the missing tool the way every other check does.
                return run("zbarimg", &[]).map(|_| Vec::new());
            }
            Err(error) => panic!("zbarimg: {error}"),
        };
        // 4: no symbol on this page, which is fine for a page of text.
        assert!(
            matches!(output.status.code(), Some(0 | 4)),
            "zbarimg failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).unwrap();
        codes.extend(text.lines().map(str::to_owned));
    }
    codes.sort();
    Some(codes)
}

/// Reads the Data Matrix under each "Bollettino Postale PA" heading: the page is cropped to
/// the symbol's area (found with `pdftotext -bbox`), which keeps dmtxread fast.
pub fn scan_data_matrices(pdf: &TempPdf) -> Option<Vec<String>> {
    let bbox = run(
        "pdftotext",
        &["-bbox".as_ref(), pdf.path().as_os_str(), "-".as_ref()],
    )?;
    // Pages and the top of each "Bollettino" word, in points.
    let mut page = 0;
    let mut headings = Vec::new();
    for line in bbox.lines() {
        if line.contains("<page ") {
            page += 1;
        }
        if line.ends_with(">Bollettino</word>") {
            let y_max = line
                .split("yMax=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap()
                .parse::<f64>()
                .unwrap();
            headings.push((page, y_max));
        }
    }
    let dpi = 300.0;
    let px = |points: f64| ((points * dpi / 72.0).round() as i64).to_string();
    let prefix = pdf.path().with_extension("dm");
    let mut codes = Vec::new();
    for (page, y) in headings {
        let page = page.to_string();
        run(
            "pdftoppm",
            &[
                "-r".as_ref(),
                "300".as_ref(),
                "-png".as_ref(),
                "-singlefile".as_ref(),
                "-f".as_ref(),
                page.as_ref(),
                "-l".as_ref(),
                page.as_ref(),
                "-x".as_ref(),
                px(40.0).as_ref(),
                "-y".as_ref(),
                px(y).as_ref(),
                "-W".as_ref(),
                px(105.0).as_ref(),
                "-H".as_ref(),
                px(105.0).as_ref(),
                pdf.path().as_os_str(),
                prefix.as_os_str(),
            ],
        )?;
        let png = pdf.path().with_extension("dm.png");
        let decoded = run(
            "dmtxread",
            &[
                "-N".as_ref(),
                "1".as_ref(),
                "-m".as_ref(),
                "20000".as_ref(),
                png.as_os_str(),
            ],
        );
        let _ = std::fs::remove_file(&png);
        codes.push(decoded?);
    }
    Some(codes)
}
