//! A trend in one line of block characters, scaled from 0 to the series'
//! own maximum (lag is never negative, and 0 must look like 0).

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

pub fn sparkline(values: &[f64]) -> String {
    let max = values.iter().copied().filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
    values
        .iter()
        .map(|value| {
            if !value.is_finite() || max <= 0.0 {
                return BARS[0];
            }
            let level = (value.max(0.0) / max * (BARS.len() - 1) as f64).round() as usize;
            BARS[level.min(BARS.len() - 1)]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_to_the_maximum_and_keeps_zero_flat() {
        assert_eq!(sparkline(&[0.0, 0.0]), "▁▁");
        assert_eq!(sparkline(&[0.0, 50.0, 100.0]), "▁▅█");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[f64::NAN, 1.0]), "▁█");
    }
}
