"""The input contract as code: column types, enums, the default action map, GX suites."""
