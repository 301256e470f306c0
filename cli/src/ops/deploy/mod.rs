//! `deploy`: the producer and consumers by the tier's ladder, on AWS
//! (`aws`: ECR, IAM, SSM, load balancer, Auto Scaling) or as local processes
//! (`local`). The per-role plan both share is `fleet::roles`.

pub mod aws;
pub mod local;
