//! Labels placed where they cover no data: a small greedy search over
//! candidate boxes, in pixels.

/// A box in pixels: (left, top, right, bottom).
pub(crate) type Rect = (i32, i32, i32, i32);

fn intersects(a: Rect, b: Rect) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

fn inside(a: Rect, bounds: Rect) -> bool {
    a.0 >= bounds.0 && a.1 >= bounds.1 && a.2 <= bounds.2 && a.3 <= bounds.3
}

/// The first of `candidates` (in order of preference) that lies within
/// `bounds` and meets no `taken` box, counting the `points` it covers: the
/// one covering fewest wins, earlier ones on ties. None when every
/// candidate leaves the bounds or meets a taken box.
pub(crate) fn place(candidates: &[Rect], points: &[(i32, i32)], taken: &[Rect], bounds: Rect) -> Option<Rect> {
    candidates
        .iter()
        .filter(|c| inside(**c, bounds) && !taken.iter().any(|t| intersects(**c, *t)))
        .enumerate()
        .min_by_key(|(i, c)| {
            let covered = points
                .iter()
                .filter(|p| p.0 >= c.0 && p.0 <= c.2 && p.1 >= c.1 && p.1 <= c.3)
                .count();
            (covered, *i)
        })
        .map(|(_, c)| *c)
}

/// Boxes of `w` x `h` around a marker at `at`: right, left, above and
/// below it and on the diagonals, at growing distances (nearest first).
pub(crate) fn around(at: (i32, i32), w: i32, h: i32, radii: &[i32]) -> Vec<Rect> {
    let (x, y) = at;
    let mut out = Vec::new();
    for &r in radii {
        let d = r * 7 / 10;
        for (l, t) in [
            (x + r, y - h / 2),
            (x - r - w, y - h / 2),
            (x + d, y - d - h),
            (x + d, y + d),
            (x - d - w, y - d - h),
            (x - d - w, y + d),
            (x - w / 2, y - r - h),
            (x - w / 2, y + r),
        ] {
            out.push((l, t, l + w, t + h));
        }
    }
    out
}

/// Boxes of `w` x `h` beside a line through `points` (pixels), at each
/// point from the last to the first, on either side of the line.
pub(crate) fn beside_line(points: &[(i32, i32)], w: i32, h: i32, gap: i32) -> Vec<Rect> {
    let mut out = Vec::new();
    for i in (1..points.len()).rev() {
        let (a, b) = (points[i - 1], points[i]);
        let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
        let len = (dx * dx + dy * dy).sqrt();
        if len == 0.0 {
            continue;
        }
        // The unit normal, and how far the box's centre must sit along it
        // for the box to clear the line by `gap`.
        let (nx, ny) = (-dy / len, dx / len);
        let reach = gap as f64 + 0.5 * (nx.abs() * w as f64 + ny.abs() * h as f64);
        for side in [1.0, -1.0] {
            let cx = b.0 as f64 + side * nx * reach;
            let cy = b.1 as f64 + side * ny * reach;
            let (l, t) = ((cx - w as f64 / 2.0) as i32, (cy - h as f64 / 2.0) as i32);
            out.push((l, t, l + w, t + h));
        }
    }
    out
}

/// The point of `r` nearest to `p`: where a leader line from `p` meets it.
pub(crate) fn nearest_point(r: Rect, p: (i32, i32)) -> (i32, i32) {
    (p.0.clamp(r.0, r.2), p.1.clamp(r.1, r.3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_avoids_points_and_taken_boxes() {
        let bounds = (0, 0, 1000, 1000);
        let cands = around((500, 500), 100, 20, &[20, 60]);
        // Points fill the right of the marker: the label goes left.
        let points: Vec<(i32, i32)> = (0..50).map(|i| (520 + i * 2, 490 + i % 20)).collect();
        let r = place(&cands, &points, &[], bounds).unwrap();
        assert!(r.2 <= 500, "{r:?}");
        // With the left taken too, it goes elsewhere, still clear of both.
        let taken = [(380, 480, 500, 520)];
        let r2 = place(&cands, &points, &taken, bounds).unwrap();
        assert!(!intersects(r2, taken[0]));
        assert!(
            points
                .iter()
                .all(|p| !(p.0 >= r2.0 && p.0 <= r2.2 && p.1 >= r2.1 && p.1 <= r2.3))
        );
        // Nothing fits in a tiny bounds.
        assert!(place(&cands, &[], &[], (0, 0, 10, 10)).is_none());
    }

    #[test]
    fn boxes_beside_a_line_clear_it() {
        let line = [(0, 1000), (1000, 0)];
        for b in beside_line(&line, 120, 30, 6) {
            // Corners all on one side of x + y = 1000, none on the line.
            let s: Vec<i32> = [(b.0, b.1), (b.2, b.1), (b.0, b.3), (b.2, b.3)]
                .iter()
                .map(|(x, y)| (x + y - 1000).signum())
                .collect();
            assert!(s.iter().all(|v| *v == s[0] && *v != 0), "{b:?}");
        }
        assert_eq!(nearest_point((10, 10, 20, 20), (0, 15)), (10, 15));
    }
}
