//! Delivery areas (SPEC §20): a store's neighbourhoods ("taxa por bairro") and areas drawn on a
//! map (GeoJSON polygons), each with its own fee, minimum order and time. Pure: parsing and
//! checking shapes, telling whether a point is inside, matching district names as people type
//! them.

use serde::{Deserialize, Serialize};

use crate::ids::{AreaId, StoreId};

/// Most positions in one area's shape, all rings together.
pub const MAX_POINTS: usize = 2_000;

/// A GeoJSON geometry as sent: `Polygon` or `MultiPolygon`, positions `[lng, lat]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum GeoJsonShape {
    Polygon {
        coordinates: Vec<Vec<Vec<f64>>>,
    },
    MultiPolygon {
        coordinates: Vec<Vec<Vec<Vec<f64>>>>,
    },
}

/// A ring's points, `(lng, lat)`, closed (the last repeats the first).
type Ring = Vec<(f64, f64)>;

/// A checked shape: polygons, each an outer ring and its holes.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaShape {
    polygons: Vec<Vec<Ring>>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShapeError {
    #[error("a polygon needs at least one ring")]
    NoRings,
    #[error("ring {ring}: a position is [longitude, latitude] within range")]
    BadPosition { ring: usize },
    #[error("ring {ring}: at least 4 positions (a triangle and its first point again)")]
    TooFewPoints { ring: usize },
    #[error("ring {ring} is not closed: its last position must repeat its first")]
    NotClosed { ring: usize },
    #[error("at most {MAX_POINTS} positions in all")]
    TooManyPoints,
    #[error("ring {ring} crosses itself")]
    SelfIntersecting { ring: usize },
}

impl AreaShape {
    /// Checks a GeoJSON shape: rings closed, at least 4 positions, coordinates in range, no
    /// ring crossing itself, at most [`MAX_POINTS`]. Rings are numbered across the shape.
    pub fn parse(shape: &GeoJsonShape) -> Result<Self, ShapeError> {
        let polygons: Vec<&Vec<Vec<Vec<f64>>>> = match shape {
            GeoJsonShape::Polygon { coordinates } => vec![coordinates],
            GeoJsonShape::MultiPolygon { coordinates } => coordinates.iter().collect(),
        };
        if polygons.is_empty() {
            return Err(ShapeError::NoRings);
        }
        let total: usize = polygons.iter().flat_map(|p| p.iter()).map(Vec::len).sum();
        if total > MAX_POINTS {
            return Err(ShapeError::TooManyPoints);
        }
        let mut ring_number = 0;
        let mut checked = Vec::with_capacity(polygons.len());
        for polygon in polygons {
            if polygon.is_empty() {
                return Err(ShapeError::NoRings);
            }
            let mut rings = Vec::with_capacity(polygon.len());
            for positions in polygon {
                let ring = ring_number;
                ring_number += 1;
                let points = positions
                    .iter()
                    .map(|position| match position.as_slice() {
                        [lng, lat, ..]
                            if lng.is_finite()
                                && lat.is_finite()
                                && (-180.0..=180.0).contains(lng)
                                && (-90.0..=90.0).contains(lat) =>
                        {
                            Ok((*lng, *lat))
                        }
                        _ => Err(ShapeError::BadPosition { ring }),
                    })
                    .collect::<Result<Ring, _>>()?;
                if points.len() < 4 {
                    return Err(ShapeError::TooFewPoints { ring });
                }
                if points.first() != points.last() {
                    return Err(ShapeError::NotClosed { ring });
                }
                if crosses_itself(&points) {
                    return Err(ShapeError::SelfIntersecting { ring });
                }
                rings.push(points);
            }
            checked.push(rings);
        }
        Ok(Self { polygons: checked })
    }

    /// Whether the point is in the area: inside an outer ring and not inside one of its holes.
    /// A point on a border is in (the shop delivers along the street it drew).
    pub fn contains(&self, lng: f64, lat: f64) -> bool {
        self.polygons.iter().any(|rings| {
            let Some((outer, holes)) = rings.split_first() else {
                return false;
            };
            let inside_outer = on_border(outer, lng, lat) || crosses_odd(outer, lng, lat);
            inside_outer
                && !holes
                    .iter()
                    .any(|hole| !on_border(hole, lng, lat) && crosses_odd(hole, lng, lat))
        })
    }
}

/// Ray casting: an odd number of edges crossed going east means inside.
fn crosses_odd(ring: &[(f64, f64)], x: f64, y: f64) -> bool {
    let mut inside = false;
    for edge in ring.windows(2) {
        let ((x1, y1), (x2, y2)) = (edge[0], edge[1]);
        if (y1 > y) != (y2 > y) {
            let crossing = x1 + (y - y1) * (x2 - x1) / (y2 - y1);
            if x < crossing {
                inside = !inside;
            }
        }
    }
    inside
}

const EPSILON: f64 = 1e-12;

fn on_border(ring: &[(f64, f64)], x: f64, y: f64) -> bool {
    ring.windows(2)
        .any(|edge| on_segment(edge[0], edge[1], (x, y)))
}

fn cross(o: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
}

fn on_segment(a: (f64, f64), b: (f64, f64), p: (f64, f64)) -> bool {
    cross(a, b, p).abs() <= EPSILON
        && p.0 >= a.0.min(b.0) - EPSILON
        && p.0 <= a.0.max(b.0) + EPSILON
        && p.1 >= a.1.min(b.1) - EPSILON
        && p.1 <= a.1.max(b.1) + EPSILON
}

fn segments_intersect(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> bool {
    let (d1, d2) = (cross(c, d, a), cross(c, d, b));
    let (d3, d4) = (cross(a, b, c), cross(a, b, d));
    if ((d1 > EPSILON && d2 < -EPSILON) || (d1 < -EPSILON && d2 > EPSILON))
        && ((d3 > EPSILON && d4 < -EPSILON) || (d3 < -EPSILON && d4 > EPSILON))
    {
        return true;
    }
    on_segment(c, d, a) || on_segment(c, d, b) || on_segment(a, b, c) || on_segment(a, b, d)
}

/// Whether two edges that are not neighbours touch or cross (a bow tie, a ring doubling back).
fn crosses_itself(ring: &[(f64, f64)]) -> bool {
    let edges: Vec<((f64, f64), (f64, f64))> = ring.windows(2).map(|e| (e[0], e[1])).collect();
    let count = edges.len();
    (0..count).any(|i| {
        (i + 1..count).any(|j| {
            let neighbours = j == i + 1 || (i == 0 && j == count - 1);
            !neighbours && segments_intersect(edges[i].0, edges[i].1, edges[j].0, edges[j].1)
        })
    })
}

/// What decides whether an address is in the area.
#[derive(Debug, Clone, PartialEq)]
pub enum AreaKind {
    /// These districts of this city, compared by [`place_key`].
    Neighbourhood {
        city: String,
        districts: Vec<String>,
    },
    /// Drawn on a map: the shape as sent and as checked.
    Polygon {
        geojson: GeoJsonShape,
        shape: AreaShape,
    },
}

/// A store's delivery area and what delivering there costs.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryArea {
    pub id: AreaId,
    pub store_id: StoreId,
    pub name: String,
    pub kind: AreaKind,
    pub fee_cents: i64,
    pub min_order_cents: i64,
    /// A subtotal from this ships free.
    pub free_above_cents: Option<i64>,
    pub eta_minutes: i32,
}

impl DeliveryArea {
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            AreaKind::Neighbourhood { .. } => "neighbourhood",
            AreaKind::Polygon { .. } => "polygon",
        }
    }
}

/// The area an address falls in: a polygon holding its point first, then a neighbourhood
/// naming its district in its city; `None` leaves it to the distance bands.
pub fn area_for<'a>(
    areas: &'a [DeliveryArea],
    point: Option<(f64, f64)>,
    city: &str,
    district: &str,
) -> Option<&'a DeliveryArea> {
    let polygon = point.and_then(|(lng, lat)| {
        areas.iter().find(|area| match &area.kind {
            AreaKind::Polygon { shape, .. } => shape.contains(lng, lat),
            AreaKind::Neighbourhood { .. } => false,
        })
    });
    polygon.or_else(|| {
        let (city, district) = (place_key(city), place_key(district));
        areas.iter().find(|area| match &area.kind {
            AreaKind::Neighbourhood {
                city: area_city,
                districts,
            } => {
                place_key(area_city) == city
                    && districts.iter().any(|name| place_key(name) == district)
            }
            AreaKind::Polygon { .. } => false,
        })
    })
}

/// A district or city name as compared: lower case, without accents, single spaces
/// ("Bela  Vísta" and "bela vista" are the same neighbourhood).
pub fn place_key(name: &str) -> String {
    name.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn polygon(rings: &[&[(f64, f64)]]) -> GeoJsonShape {
        GeoJsonShape::Polygon {
            coordinates: rings
                .iter()
                .map(|ring| ring.iter().map(|(x, y)| vec![*x, *y]).collect())
                .collect(),
        }
    }

    /// An L: concave, the notch at the top right is outside.
    const L_SHAPE: &[(f64, f64)] = &[
        (0.0, 0.0),
        (4.0, 0.0),
        (4.0, 2.0),
        (2.0, 2.0),
        (2.0, 4.0),
        (0.0, 4.0),
        (0.0, 0.0),
    ];

    #[test]
    fn a_concave_area_leaves_its_notch_out() {
        let shape = AreaShape::parse(&polygon(&[L_SHAPE])).expect("an L");
        assert!(shape.contains(1.0, 1.0));
        assert!(shape.contains(3.0, 1.0));
        assert!(shape.contains(1.0, 3.0));
        assert!(!shape.contains(3.0, 3.0), "the notch");
        assert!(!shape.contains(5.0, 1.0));
        assert!(!shape.contains(-0.1, 2.0));
    }

    #[test]
    fn points_on_the_border_are_in() {
        let shape = AreaShape::parse(&polygon(&[L_SHAPE])).expect("an L");
        assert!(shape.contains(0.0, 2.0), "left edge");
        assert!(shape.contains(3.0, 2.0), "the notch's floor");
        assert!(shape.contains(2.0, 3.0), "the notch's wall");
        assert!(shape.contains(4.0, 0.0), "a corner");
    }

    #[test]
    fn holes_are_out_but_their_border_is_in() {
        let outer: &[(f64, f64)] = &[
            (0.0, 0.0),
            (10.0, 0.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (0.0, 0.0),
        ];
        let hole: &[(f64, f64)] = &[(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0), (4.0, 4.0)];
        let shape = AreaShape::parse(&polygon(&[outer, hole])).expect("a square with a hole");
        assert!(shape.contains(2.0, 2.0));
        assert!(!shape.contains(5.0, 5.0));
        assert!(shape.contains(4.0, 5.0));
    }

    #[test]
    fn multipolygons_cover_each_part() {
        let shape = AreaShape::parse(&GeoJsonShape::MultiPolygon {
            coordinates: vec![
                vec![vec![
                    vec![0.0, 0.0],
                    vec![1.0, 0.0],
                    vec![1.0, 1.0],
                    vec![0.0, 0.0],
                ]],
                vec![vec![
                    vec![5.0, 5.0],
                    vec![6.0, 5.0],
                    vec![6.0, 6.0],
                    vec![5.0, 5.0],
                ]],
            ],
        })
        .expect("two triangles");
        assert!(shape.contains(0.9, 0.1) && shape.contains(5.9, 5.1));
        assert!(!shape.contains(3.0, 3.0));
    }

    #[test]
    fn bad_shapes_are_refused_with_the_reason() {
        let open: &[(f64, f64)] = &[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
        assert_eq!(
            AreaShape::parse(&polygon(&[open])),
            Err(ShapeError::NotClosed { ring: 0 })
        );
        let short: &[(f64, f64)] = &[(0.0, 0.0), (1.0, 0.0), (0.0, 0.0)];
        assert_eq!(
            AreaShape::parse(&polygon(&[short])),
            Err(ShapeError::TooFewPoints { ring: 0 })
        );
        let bow_tie: &[(f64, f64)] = &[(0.0, 0.0), (2.0, 2.0), (2.0, 0.0), (0.0, 2.0), (0.0, 0.0)];
        assert_eq!(
            AreaShape::parse(&polygon(&[bow_tie])),
            Err(ShapeError::SelfIntersecting { ring: 0 })
        );
        let far: &[(f64, f64)] = &[(0.0, 0.0), (200.0, 0.0), (1.0, 1.0), (0.0, 0.0)];
        assert_eq!(
            AreaShape::parse(&polygon(&[far])),
            Err(ShapeError::BadPosition { ring: 0 })
        );
        let huge: Vec<(f64, f64)> = (0..=MAX_POINTS)
            .map(|i| {
                let angle = i as f64 / MAX_POINTS as f64 * std::f64::consts::TAU;
                (angle.cos(), angle.sin())
            })
            .collect();
        assert_eq!(
            AreaShape::parse(&polygon(&[&huge])),
            Err(ShapeError::TooManyPoints)
        );
    }

    #[test]
    fn districts_match_whatever_the_case_and_accents() {
        assert_eq!(place_key("  Bela  Vísta "), "bela vista");
        assert_eq!(place_key("CONSOLAÇÃO"), "consolacao");
        assert_eq!(place_key("Jardim São Paulo-Sul"), "jardim sao paulo sul");
    }

    proptest! {
        #[test]
        fn a_rectangle_holds_exactly_what_lies_within_it(
            x in -10.0f64..10.0, y in -10.0f64..10.0,
            width in 0.5f64..5.0, height in 0.5f64..5.0,
            px in -20.0f64..20.0, py in -20.0f64..20.0,
        ) {
            let ring = [(x, y), (x + width, y), (x + width, y + height), (x, y + height), (x, y)];
            let shape = AreaShape::parse(&polygon(&[&ring])).expect("a rectangle");
            let within = px >= x && px <= x + width && py >= y && py <= y + height;
            prop_assert_eq!(shape.contains(px, py), within);
        }
    }
}
