"""Serving: versioned endpoints, canary deployments, rollback (the bounded context of the
ServingStack). `naming` spells endpoint, config and alarm names; `deployment_plan` turns the
`deployment:` config into what SageMaker's endpoint APIs take."""
