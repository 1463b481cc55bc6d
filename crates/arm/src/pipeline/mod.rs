//! The parts of the request pipeline that are not the client itself: the pacer that keeps
//! requests under ARM's limits and the providers' own, the retry policy, and the metrics.

pub mod metrics;
pub mod pacer;
pub mod retry;

pub use metrics::ArmMetrics;
pub use pacer::{
    Bucket, BucketKey, BucketLimits, Pacer, PacerConfig, ProviderKey, ProviderLimit,
    ProviderReservation, Reservation, WindowLimits,
};
pub use retry::RetryPolicy;
