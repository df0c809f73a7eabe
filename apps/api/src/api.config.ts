import { IsInt, IsString, Max, Min } from 'class-validator';
import { CommonConfig } from '@revstream/config';

export class ApiConfig extends CommonConfig {
  @IsInt() @Min(1) @Max(65535)
  API_PORT: number = 3001;

  @IsString()
  HOST: string = '127.0.0.1';
}
