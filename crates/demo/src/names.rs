//! Vietnamese names and a small deterministic generator.

/// A xorshift64* generator: deterministic, dependency-free, good enough to
/// vary generated data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý",
];
const MIDDLE_MALE: &[&str] = &["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành", "Công"];
const MIDDLE_FEMALE: &[&str] = &["Thị", "Ngọc", "Thu", "Thanh", "Mỹ", "Kim"];
const GIVEN_MALE: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Long", "Nam", "Phúc", "Quang", "Sơn", "Tuấn",
    "Trung", "Việt",
];
const GIVEN_FEMALE: &[&str] = &[
    "Hà", "Hạnh", "Hoa", "Lan", "Linh", "Mai", "Ngân", "Phương", "Tâm", "Thảo", "Trang", "Vy",
    "Yến",
];

/// A full name and whether it is a man's.
pub fn person(rng: &mut Rng) -> (String, bool) {
    let male = rng.below(2) == 0;
    let (middle, given) = if male {
        (MIDDLE_MALE, GIVEN_MALE)
    } else {
        (MIDDLE_FEMALE, GIVEN_FEMALE)
    };
    (
        format!(
            "{} {} {}",
            rng.pick(FAMILY),
            rng.pick(middle),
            rng.pick(given)
        ),
        male,
    )
}

/// District names of the generated province.
pub const DISTRICTS: &[&str] = &[
    "Thành phố Tây Ninh",
    "Hòa Thành",
    "Gò Dầu",
    "Trảng Bàng",
    "Bến Cầu",
    "Châu Thành",
    "Dương Minh Châu",
    "Tân Biên",
    "Tân Châu",
    "Thị xã Mới",
    "Huyện Mới",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        let a: Vec<_> = (0..5).map(|_| person(&mut Rng::new(7)).0).collect();
        let b: Vec<_> = (0..5).map(|_| person(&mut Rng::new(7)).0).collect();
        assert_eq!(a, b);
        let mut r = Rng::new(1);
        assert!((0..1000).all(|_| r.below(10) < 10));
    }
}
