export * from './trainer';
export * from './plateau';
export * from './finetune';
export * from './pretrain';
