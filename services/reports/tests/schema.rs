//! The reports migrations, written once per backend, make the same schema
//! on both (compared when `PROBITY_TEST_POSTGRES_URL` is set).

#[tokio::test]
async fn both_backends_get_the_same_schema() {
    probity_platform::testing::schema::assert_same_schema(
        probity_reports::SCHEMA,
        &probity_reports::MIGRATIONS,
    )
    .await;
}
