//! Loss-curve plots (feature `cli`): an SVG written with plotters.

use std::format;
use std::string::ToString;
use std::vec::Vec;

use plotters::prelude::*;

use super::fit::TrainReport;
use super::TrainError;

fn encode<E: std::fmt::Debug>(e: E) -> TrainError {
    TrainError::Encode(format!("plot: {e:?}"))
}

/// Writes the per-epoch training (and validation) loss of `report` as an SVG line chart with
/// a logarithmic loss axis. `title` goes on top (e.g. the model and data).
pub fn write_loss_plot(report: &TrainReport, title: &str, path: impl AsRef<std::path::Path>) -> Result<(), TrainError> {
    let train: Vec<(f64, f64)> = report
        .epochs
        .iter()
        .map(|e| ((e.epoch + 1) as f64, e.train_loss))
        .filter(|(_, l)| l.is_finite() && *l > 0.0)
        .collect();
    let val: Vec<(f64, f64)> = report
        .epochs
        .iter()
        .filter_map(|e| e.val_loss.map(|l| ((e.epoch + 1) as f64, l)))
        .filter(|(_, l)| l.is_finite() && *l > 0.0)
        .collect();
    let all = train.iter().chain(&val);
    let lo = all.clone().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = all.map(|p| p.1).fold(0.0, f64::max);
    if train.is_empty() || !(lo.is_finite() && hi > 0.0) {
        return Err(TrainError::Encode("plot: no finite positive loss to draw".to_string()));
    }
    let (lo, hi) = if hi > lo { (lo * 0.9, hi * 1.1) } else { (lo * 0.5, hi * 2.0) };
    let epochs = report.epochs.len().max(2) as f64;
    let path = path.as_ref();
    let root = SVGBackend::new(path, (800, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(encode)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(1.0..epochs, (lo..hi).log_scale())
        .map_err(encode)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("loss")
        .y_label_formatter(&|v| format!("{v:.2e}"))
        .draw()
        .map_err(encode)?;
    chart
        .draw_series(LineSeries::new(train, BLUE.stroke_width(2)))
        .map_err(encode)?
        .label("training")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    if !val.is_empty() {
        chart
            .draw_series(LineSeries::new(val, RED.stroke_width(2)))
            .map_err(encode)?
            .label("validation")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(encode)?;
    root.present().map_err(encode)?;
    Ok(())
}
